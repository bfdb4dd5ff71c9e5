"""The after-action review (issue 18): it opens when the incident closes, starts from what the
record says — key moments with their minutes and targets, how each duty ended, the pinned
decisions — and holds what people write, their feedback and the action items that outlive it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from crisis.reviews.models import ActionState, Review, ReviewAction, ReviewState
from crisis.voice import services as voice
from incidents import services
from incidents.models import Deadline, DeadlineState, EntryKind, RoleAssignment, TimelineEntry
from playbooks.defaults import load_default_playbooks
from playbooks.models import DeadlineNature, PlaybookVersion, VersionState
from tests import factories

pytestmark = pytest.mark.django_db


def minutes(start, n):
    return start + timedelta(minutes=n)


def set_transition_time(incident, to, at):
    """The test plays a clock that moved: it writes the time a scripted incident reached `to`.
    (The timeline's own manager refuses updates; a plain queryset is the test's way round it.)"""
    entries = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.TRANSITION)
    entry = next(e for e in entries if e.data.get("to") == to)
    QuerySet(TimelineEntry).filter(pk=entry.pk).update(at=at)


@pytest.fixture
def scripted(commander, pr):
    """A site accident with known times, from detection (D): declared at D+5, commander at D+12,
    the public holding statement at D+40, the one-hour authority report at D+50 (on time), the
    special-equipment report at D+70 (late), the staff briefing breached, contained at D+120,
    resolved at D+300, closed at D+600 with the rest waived."""
    load_default_playbooks()
    now = timezone.now()
    incident = services.declare_incident(
        by=commander,
        kind="site_safety",
        severity=2,
        title="3号楼脚手架局部坍塌",
        detected_at=now - timedelta(minutes=5),
    )
    detected = incident.detected_at
    services.change_command(incident.pk, by=commander, to=commander)
    RoleAssignment.objects.filter(incident=incident, role="commander").update(started_at=minutes(detected, 12))
    services.transition_incident(incident.pk, by=commander, name="activate")
    statement = voice.create_statement(
        incident.pk, by=pr, audience="public", title="情况通报", body="两名工人受伤，已送医。"
    )
    voice.submit_statement(statement.pk, by=pr)
    voice.approve_statement(statement.pk, by=commander)
    voice.publish_statement(statement.pk, by=commander)
    statement.__class__.objects.filter(pk=statement.pk).update(published_at=minutes(detected, 40))
    report = Deadline.objects.get(incident=incident, code="report-authority")
    services.meet_deadline(
        report.pk, by=commander, evidence="电话报告", channel="phone", authority="区应急管理局", received_by="值班员王"
    )
    Deadline.objects.filter(pk=report.pk).update(met_at=minutes(detected, 50))
    special = Deadline.objects.get(incident=incident, code="report-special-equipment")
    services.meet_deadline(
        special.pk, by=commander, evidence="电话报告", channel="phone", authority="区市场监管局", received_by="值班员李"
    )
    Deadline.objects.filter(pk=special.pk).update(met_at=minutes(detected, 70))
    Deadline.objects.filter(incident=incident, code="staff-briefing").update(
        state=DeadlineState.BREACHED, breached_at=minutes(detected, 65)
    )
    duties = Deadline.objects.filter(incident=incident, nature=DeadlineNature.DUTY).count()
    services.transition_incident(incident.pk, by=commander, name="contain")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="现场安全")
    services.transition_incident(
        incident.pk, by=commander, name="close", note="两名工人已出院，已按时报告。", open_items="finish"
    )
    for to, at in (("contained", 120), ("resolved", 300), ("closed", 600)):
        set_transition_time(incident, to, minutes(detected, at))
    return incident, duties


def by_name(moments):
    return {(m["name"], m["audience"] if m["name"] == "first_statement" else m["label"]): m for m in moments}


def test_a_closed_incidents_review_starts_from_the_record(api, commander, scripted):
    incident, duties = scripted
    answer = api.as_user(commander).get(f"/api/incidents/{incident.pk}/review/")
    assert answer.status_code == 200, answer.content
    review = answer.json()
    assert review["state"] == "open"
    moments = review["key_moments"]
    found = {m["name"]: m for m in moments if m["name"] not in ("first_statement", "authority_report")}
    assert {k: (v["minutes_from_detection"], v["target_minutes"]) for k, v in found.items()} == {
        "detected": (0, None),
        "declared": (5, None),
        "first_commander": (12, 15),  # the playbook's step: 10 minutes after declaration
        "contained": (120, None),
        "resolved": (300, None),
        "closed": (600, None),
    }
    statements = {
        m["audience"]: (m["minutes_from_detection"], m["target_minutes"])
        for m in moments
        if m["name"] == "first_statement"
    }
    assert statements["public"] == (40, 65)  # one hour from declaration
    assert statements["staff"] == (None, 65)  # never briefed
    reports = sorted(
        (m["minutes_from_detection"], m["target_minutes"]) for m in moments if m["name"] == "authority_report"
    )
    assert reports == [(50, 60), (70, 60)]  # the one-hour report on time, the special-equipment one late
    assert review["deadlines"] == {
        "met_on_time": 2,  # the authority report, the public holding statement (met on publishing)
        "met_late": 1,
        "breached": 1,
        "waived": duties - 4,  # the rest, waived on closing
        "open": 0,
    }


def test_the_review_opens_only_when_the_incident_closes(api, commander, incident):
    answer = api.as_user(commander).get(f"/api/incidents/{incident.pk}/review/")
    assert answer.status_code == 409 and "closed" in answer.json()["detail"]
    assert not Review.objects.exists()


def test_pinned_decisions_are_in_the_review(api, commander, scripted):
    incident, _duties = scripted
    note = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.TRANSITION).first()
    services.pin_entry(incident.pk, by=commander, seq=note.seq)
    pinned = api.as_user(commander).get(f"/api/incidents/{incident.pk}/review/").json()["pinned"]
    assert [p["seq"] for p in pinned] == [note.seq]


def test_writing_feedback_and_signing_off(api, commander, responder, executive, scripted):
    incident, _duties = scripted
    url = f"/api/incidents/{incident.pk}/review/"
    assert api.as_user(executive).get(url).status_code == 200  # anyone who may see the incident reads it
    # Someone who took no part may read but not write; bad input changes nothing.
    assert api.as_user(executive).patch(url, {"happened": "x"}, format="json").status_code == 403
    assert api.as_user(commander).patch(url, {"rating": 9}, format="json").status_code == 400
    assert api.as_user(commander).patch(url, {"happened": ["list"]}, format="json").status_code == 400
    review = Review.objects.get(incident=incident)
    assert review.happened == "" and review.rating is None
    # Signing off needs what happened and what to change.
    assert api.as_user(commander).post(f"{url}sign-off/").status_code == 409
    written = api.as_user(commander).patch(
        url, {"happened": "脚手架连墙件缺失", "change": "每日检查连墙件", "rating": 4}, format="json"
    )
    assert written.status_code == 200 and written.json()["rating"] == 4 and written.json()["why"] == ""
    # Feedback: those who took part, once each (a second one replaces the first).
    assert api.as_user(responder).post(f"{url}feedback/", {"text": "x"}, format="json").status_code == 403
    started = timezone.now() - timedelta(hours=2)
    RoleAssignment.objects.create(
        incident=incident, user=responder, role="responder", started_at=started, ended_at=started + timedelta(hours=1)
    )
    assert (
        api.as_user(responder).post(f"{url}feedback/", {"rating": 3, "text": "通知晚了"}, format="json").status_code
        == 200
    )
    assert (
        api.as_user(responder).post(f"{url}feedback/", {"rating": 4, "text": "通知及时"}, format="json").status_code
        == 200
    )
    assert [(f["rating"], f["text"]) for f in api.as_user(commander).get(url).json()["feedback"]] == [(4, "通知及时")]
    assert api.as_user(responder).post(f"{url}sign-off/").status_code == 403
    signed = api.as_user(commander).post(f"{url}sign-off/")
    assert signed.status_code == 200 and signed.json()["state"] == ReviewState.SIGNED_OFF
    assert signed.json()["signed_off_by"]["id"] == commander.pk
    assert api.as_user(commander).patch(url, {"happened": "changed"}, format="json").status_code == 409
    assert Review.objects.get(incident=incident).happened == "脚手架连墙件缺失"
    assert TimelineEntry.objects.filter(incident=incident, kind="review", data__action="signed_off").count() == 1


def test_a_restricted_incidents_review_is_not_found_by_outsiders(api, commander, responder):
    load_default_playbooks()
    incident = factories.declare(commander, commander=commander, restricted=True)
    services.transition_incident(incident.pk, by=commander, name="activate")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="ok")
    services.transition_incident(incident.pk, by=commander, name="close", note="ok")
    assert api.as_user(responder).get(f"/api/incidents/{incident.pk}/review/").status_code == 404
    assert api.as_user(commander).get(f"/api/incidents/{incident.pk}/review/").status_code == 200


def test_action_items_outlive_the_incident(api, commander, responder, admin, scripted):
    incident, _duties = scripted
    url = f"/api/incidents/{incident.pk}/review/actions/"
    due = (timezone.now() + timedelta(days=7)).isoformat()
    client = api.as_user(commander)
    assert (
        client.post(
            url, {"title": "复查连墙件", "owner": responder.pk, "due_at": "2020-01-01T00:00:00Z"}, format="json"
        ).status_code
        == 400
    )
    assert client.post(url, {"title": "复查连墙件", "owner": 999999, "due_at": due}, format="json").status_code == 400
    assert client.post(url, {"title": "", "owner": responder.pk, "due_at": due}, format="json").status_code == 400
    assert not ReviewAction.objects.exists()
    made = client.post(url, {"title": "复查连墙件", "owner": responder.pk, "due_at": due}, format="json")
    assert made.status_code == 201, made.content
    action = made.json()
    assert action["owner"]["id"] == responder.pk and action["state"] == "open" and action["incident"] == incident.pk
    listed = api.as_user(responder).get(f"/api/review-actions/?open=1&owner={responder.pk}").json()
    assert [a["id"] for a in listed["results"]] == [action["id"]]
    assert api.as_user(responder).get("/api/review-actions/?open=2").status_code == 400
    finish = f"/api/review-actions/{action['id']}/finish/"
    assert api.as_user(responder).post(finish, {"state": "dropped"}, format="json").status_code == 400  # why?
    assert api.as_user(responder).post(finish, {"state": "done"}, format="json").status_code == 200
    assert api.as_user(responder).post(finish, {"state": "done"}, format="json").status_code == 409
    assert api.as_user(responder).get(f"/api/review-actions/?open=1&owner={responder.pk}").json()["count"] == 0
    assert ReviewAction.objects.get().state == ActionState.DONE


def test_an_action_to_change_the_playbook_opens_a_linked_draft(api, commander, admin, scripted):
    incident, _duties = scripted
    url = f"/api/incidents/{incident.pk}/review/actions/"
    due = (timezone.now() + timedelta(days=14)).isoformat()
    body = {"title": "连墙件检查写进第一时间步骤", "owner": admin.pk, "due_at": due, "change_playbook": True}
    assert api.as_user(commander).post(url, body, format="json").status_code == 403  # not a playbook editor
    made = api.as_user(admin).post(url, body, format="json")
    assert made.status_code == 201, made.content
    draft = PlaybookVersion.objects.get(pk=made.json()["playbook_draft"])
    assert draft.state == VersionState.DRAFT and draft.playbook_id == incident.playbook_version.playbook_id
    assert f"#{incident.pk}" in draft.notes_en
