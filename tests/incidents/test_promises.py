"""Promises become deadlines (issue 15, item 5): a meeting date given to owners, a written answer
promised by Friday — recorded in the war room, it is our own duty, reminded before and escalated
to the commander and spokesperson when it passes unkept. And the report to an authority is met
from the war room by recording the call."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import NotAllowed
from incidents import services
from incidents.clock import alarms as clock
from incidents.models import Deadline, DeadlineState, EntryKind, TimelineEntry
from playbooks.exchange import import_text
from tests import factories
from tests.alarms import caused_by, pending_of

pytestmark = pytest.mark.django_db
SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def running(commander):
    import_text(SAMPLE, publish=True)
    return factories.declare(commander, commander=commander)


def _saturday():
    return timezone.now() + timedelta(days=2)


def test_a_promise_to_the_owners_becomes_our_deadline_with_a_reminder(running, commander):
    due = _saturday()
    promise = services.record_promised(
        running.pk,
        by=commander,
        audience="customers",
        promise="周六上午与业主代表座谈",
        to_whom="3号楼业主",
        due_at=due,
    )
    assert (promise.code, promise.nature, promise.state, promise.due_at) == ("promise", "duty", "pending", due)
    assert promise.title == "周六上午与业主代表座谈 — 3号楼业主"
    assert promise.escalation_targets == ["commander", "spokesperson"]
    assert pending_of(promise).filter(kind="reminder").exists()
    entry = TimelineEntry.objects.filter(incident=running, kind=EntryKind.DEADLINE).latest("seq")
    assert entry.data["change"] == "promised"


def test_a_promise_not_kept_breaches_and_escalates(running, commander):
    promise = services.record_promised(
        running.pk,
        by=commander,
        audience="customers",
        promise="书面答复",
        due_at=timezone.now() + timedelta(minutes=20),
    )
    breach = pending_of(promise).get(kind="breach")
    pending_of(promise).filter(pk=breach.pk).update(fire_at=timezone.now() - timedelta(seconds=1))
    assert clock.handle(breach.pk, token=None, via="sweep")
    promise.refresh_from_db()
    assert promise.state == DeadlineState.BREACHED
    assert caused_by(breach).filter(recipient=commander).exists()


def test_a_bad_promise_is_refused_whole_and_changes_nothing(running, commander):
    before = Deadline.objects.count()
    with pytest.raises(ValidationError) as bad:
        services.record_promised(
            running.pk, by=commander, audience="martians", promise="  ", due_at=timezone.now() - timedelta(days=1)
        )
    assert set(bad.value.message_dict) == {"audience", "promise", "due_at"}
    assert Deadline.objects.count() == before


def test_only_someone_speaking_for_the_company_here_records_a_promise(running, commander, responder):
    with pytest.raises(NotAllowed):
        services.record_promised(running.pk, by=responder, audience="customers", promise="回电", due_at=_saturday())
    services.assign_role(running.pk, by=commander, user=responder, role="liaison")
    assert services.record_promised(running.pk, by=responder, audience="customers", promise="回电", due_at=_saturday())


def test_the_api_records_promises(api, running, commander, responder):
    url = f"/api/incidents/{running.pk}/promises/"
    body = {"audience": "customers", "promise": "Owners' meeting", "due_at": _saturday().isoformat()}
    assert api.as_user(responder).post(url, body, format="json").status_code == 403
    client = api.as_user(commander)
    assert client.post(url, {**body, "due_at": "soon"}, format="json").status_code == 400
    response = client.post(url, body, format="json")
    assert response.status_code == 201 and response.json()["title"] == "Owners' meeting"


def test_the_war_room_records_a_promise_and_a_report_by_phone(client, running, commander):
    report = services.add_deadline(
        running.pk, by=commander, audience="regulator", title="向应急管理部门报告", due_at=_saturday()
    )
    client.force_login(commander)
    page = client.get(f"/incidents/{running.pk}/").content.decode()
    assert f'id="d{report.pk}-channel"' in page and 'id="promise-promise"' in page
    local = timezone.localtime(_saturday()).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/incidents/{running.pk}/promises/", {"audience": "customers", "promise": "座谈会", "due_at": local})
    assert Deadline.objects.filter(incident=running, code="promise", title_zh="座谈会").exists()
    url = f"/incidents/{running.pk}/deadlines/{report.pk}/"
    call = {"channel": "phone", "authority": "区应急管理局", "evidence": "电话报告事故概况", "action": "meet"}
    client.post(url, call)  # a call names the officer who took it
    assert Deadline.objects.get(pk=report.pk).state == DeadlineState.PENDING
    client.post(url, {**call, "received_by": "值班员李明"})
    report.refresh_from_db()
    assert (report.state, report.met_channel, report.met_authority, report.met_received_by) == (
        "met",
        "phone",
        "区应急管理局",
        "值班员李明",
    )
