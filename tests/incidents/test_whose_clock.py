"""Whose clock is it (DEADLINES.md): only the company's own duties breach and escalate. An
authority's limit ("their clock") and a benchmark remind the commander and never breach; a watch
window ends by itself. A report to an authority is met by reporting — a call, with the authority,
the officer and the minute — and a promise of a next update in a published statement becomes a
deadline counted from publishing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crisis.voice import services as voice
from incidents import services
from incidents.clock import alarms as clock
from incidents.models import Deadline, DeadlineState, EntryKind, TimelineEntry
from incidents.notify.models import Notification
from playbooks.exchange import PlaybookFileError, import_text
from tests import factories
from tests.alarms import alarms_of, caused_by, pending_of

pytestmark = pytest.mark.django_db
SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")


@pytest.fixture
def running(commander):
    import_text(SAMPLE, publish=True)
    return factories.declare(commander, commander=commander)


def clock_of(incident, by, nature, **extra):
    return services.add_deadline(
        incident.pk,
        by=by,
        audience="regulator",
        title=f"{nature} item",
        due_at=timezone.now() + timedelta(days=3),
        remind_before_minutes=[60],
        nature=nature,
        **extra,
    )


def ring(deadline, kind):
    """Make the alarm of `kind` due now and let the clock handle it (as the sweep would)."""
    alarm = pending_of(deadline).get(kind=kind)
    pending_of(deadline).filter(pk=alarm.pk).update(fire_at=timezone.now() - timedelta(seconds=1))
    assert clock.handle(alarm.pk, token=None, via="sweep")
    return alarm


@pytest.mark.parametrize("nature,change", [("expect", "expected"), ("guide", "benchmark")])
def test_their_clock_and_a_benchmark_remind_the_commander_and_never_breach(running, commander, executive,
                                                                          nature, change):  # fmt: skip
    d = clock_of(running, commander, nature)
    ring(d, "reminder")
    alarm = ring(d, "breach")
    d.refresh_from_db()
    assert d.state == DeadlineState.PENDING and d.breached_at is None
    assert not TimelineEntry.objects.filter(incident=running, kind=EntryKind.BREACH).exists()
    entry = TimelineEntry.objects.filter(incident=running, kind=EntryKind.DEADLINE).latest("seq")
    assert entry.data["change"] == change and entry.data["nature"] == nature
    told = caused_by(alarm)
    assert set(told.values_list("event", flat=True)) == {"deadline_reminder"}
    assert set(told.filter(channel="in_app").values_list("recipient", flat=True)) == {commander.pk}
    assert not Notification.objects.filter(recipient=executive).exists()
    assert "not our deadline" in told.filter(channel="in_app").get().body


def test_a_watch_window_closes_by_itself_without_a_breach(running, commander):
    d = clock_of(running, commander, "watch")
    ring(d, "breach")
    d.refresh_from_db()
    assert d.state == DeadlineState.MET and d.breached_at is None
    assert TimelineEntry.objects.filter(incident=running, data__change="window_closed").exists()


def test_our_duty_still_breaches_and_escalates(running, commander, executive):
    d = clock_of(running, commander, "duty", escalate_to=["commander", "executives"])
    alarm = ring(d, "breach")
    d.refresh_from_db()
    assert d.state == DeadlineState.BREACHED
    assert caused_by(alarm).filter(recipient=executive, event="deadline_breached").exists()


def test_only_duties_escalate_and_statements_meet_only_duties(running, commander):
    with pytest.raises(ValidationError, match="escalate"):
        clock_of(running, commander, "expect", escalate_to=["commander", "executives"])
    rule = SAMPLE.replace("    source: complaint procedure\n", "    source: complaint procedure\n    nature: expect\n")
    with pytest.raises(PlaybookFileError):
        import_text(rule.replace("slug: test-site", "slug: test-expect").replace(
            "escalate_to: [commander]\n    source: complaint procedure", "escalate_to: [commander, executives]\n"
            "    source: complaint procedure"), publish=True)  # fmt: skip


def test_a_report_is_met_by_a_call_with_the_authority_the_officer_and_the_minute(running, commander):
    report = Deadline.objects.get(incident=running, code="report-authority")
    with pytest.raises(ValidationError) as refused:
        services.meet_deadline(report.pk, by=commander, evidence="Called the duty officer.", channel="phone")
    assert {"authority", "received_by"} <= set(refused.value.message_dict)
    later = timezone.now() + timedelta(hours=1)
    with pytest.raises(ValidationError, match="future"):
        services.meet_deadline(report.pk, by=commander, evidence="x", channel="phone", authority="区应急管理局",
                               received_by="值班员李某", reported_at=later)  # fmt: skip
    called = timezone.now() - timedelta(minutes=7)
    met = services.meet_deadline(report.pk, by=commander, evidence="电话报告事故简要情况", channel="phone",
                                 authority="区应急管理局", received_by="值班员李某", reported_at=called)  # fmt: skip
    assert (met.state, met.met_channel, met.met_authority, met.met_received_by) == (
        "met",
        "phone",
        "区应急管理局",
        "值班员李某",
    )
    assert met.met_at == called
    entry = TimelineEntry.objects.filter(incident=running, kind=EntryKind.DEADLINE).latest("seq")
    assert entry.data["channel"] == "phone" and entry.data["received_by"] == "值班员李某"


def test_a_statement_awaiting_its_second_review_never_holds_up_a_statutory_report(api, running, commander, pr):
    statement = voice.create_statement(running.pk, by=pr, audience="regulator", title="事故快报", body="已核实的情况。")
    voice.submit_statement(statement.pk, by=pr)
    report = Deadline.objects.get(incident=running, code="report-authority")
    body = {"evidence": "电话报告", "channel": "phone", "authority": "区住建局", "received_by": "王科长"}
    response = api.as_user(commander).post(f"/api/deadlines/{report.pk}/meet/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["met_channel"] == "phone" and response.json()["state"] == "met"


@pytest.mark.parametrize("severity,minutes", [(1, 60), (2, 120), (4, 480)])
def test_a_promised_next_update_becomes_a_deadline_from_publishing(commander, pr, severity, minutes):
    import_text(SAMPLE, publish=True)
    incident = factories.declare(commander, commander=commander, severity=severity)
    template = voice.templates_for(incident).get(audience="public")
    statement = voice.create_statement(incident.pk, by=pr, template=template.pk, language="en")
    assert "{{" not in statement.body and "within" in statement.body
    voice.submit_statement(statement.pk, by=pr)
    voice.approve_statement(statement.pk, by=commander)
    published = voice.publish_statement(statement.pk, by=commander)
    promise = Deadline.objects.get(incident=incident, code="promise")
    assert promise.due_at == published.published_at + timedelta(minutes=minutes)
    assert promise.state == "pending" and promise.audience == "public" and promise.met_by_statement
    assert alarms_of(promise).filter(kind="breach").exists()
    # The next statement to the same audience keeps the promise.
    follow = voice.create_statement(incident.pk, by=pr, audience="public", title="Update", body="No further injuries.")
    voice.submit_statement(follow.pk, by=pr)
    voice.approve_statement(follow.pk, by=commander)
    voice.publish_statement(follow.pk, by=commander)
    promise.refresh_from_db()
    assert promise.state == "met"


def test_a_statement_that_promises_nothing_makes_no_deadline(running, commander, pr):
    statement = voice.create_statement(running.pk, by=pr, audience="public", title="Statement", body="Facts.")
    voice.submit_statement(statement.pk, by=pr)
    voice.approve_statement(statement.pk, by=commander)
    voice.publish_statement(statement.pk, by=commander)
    assert not Deadline.objects.filter(incident=running, code="promise").exists()
