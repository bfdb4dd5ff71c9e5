"""Who is told what (issue 16, item 3): each event reaches exactly the people it concerns, in the
console, and never the person whose action caused it. (Paging and its escalation: test_paging.py
and test_paging_worker.py; reminders and breaches: the timer tests.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from crisis.voice import services as voice
from incidents import services
from incidents.complaints import services as complaints
from incidents.complaints.models import Level
from incidents.notify.models import Channel, Notification
from tests import factories
from tests.crisis import voice_helpers
from tests.incidents.complaint_helpers import handler_user, ladder_user, log, manager_user, no_rules

pytestmark = pytest.mark.django_db


def told(event: str) -> list[str]:
    rows = Notification.objects.filter(channel=Channel.IN_APP, event=event).order_by("recipient__username")
    return list(rows.values_list("recipient__username", flat=True))


def note(event: str) -> Notification:
    return Notification.objects.get(channel=Channel.IN_APP, event=event)


@pytest.fixture
def incident(commander):
    return voice_helpers.incident_with_playbook(commander)


def test_a_role_is_told_to_whoever_gets_it(incident, commander, pr):
    services.assign_role(incident.pk, by=commander, user=pr, role="spokesperson", briefing="All media via you.")
    assert told("role_assigned") == ["pr1"]
    given = note("role_assigned")
    assert "All media via you." in given.body and given.topic_id == incident.pk
    services.assign_role(incident.pk, by=commander, user=commander, role="liaison")  # oneself: nobody
    assert told("role_assigned") == ["pr1"]


def test_a_task_given_to_someone_is_told_to_them_once_per_assignment(incident, commander, responder):
    task = incident.tasks.first()
    services.update_task(task.pk, by=commander, assignee=responder)
    assert told("task_assigned") == ["resp1"]
    services.update_task(task.pk, by=commander, assignee=responder)  # no change: nothing more
    services.update_task(task.pk, by=commander, assignee=None)
    services.update_task(task.pk, by=commander, assignee=responder)  # given again: told again
    assert told("task_assigned") == ["resp1", "resp1"]
    services.update_task(task.pk, by=commander, assignee=commander)  # takes it oneself
    assert told("task_assigned") == ["resp1", "resp1"]


def test_a_statement_waits_for_the_commander_and_its_drafter_learns_each_outcome(incident, commander, pr):
    statement = voice_helpers.in_review(incident, pr)
    assert told("approval_requested") == ["cmd1"]
    voice.reject_statement(statement.pk, by=commander, comment="Say when the site reopens.")
    assert told("statement_rejected") == ["pr1"]
    assert "Say when the site reopens." in note("statement_rejected").body
    voice.edit_statement(statement.pk, by=pr, title="We are responding", body="Facts; reopening Monday.")
    voice.submit_statement(statement.pk, by=pr)
    assert told("approval_requested") == ["cmd1", "cmd1"]  # submitted again: asked again
    voice.approve_statement(statement.pk, by=commander)
    assert told("statement_approved") == ["pr1"]
    spokesperson = voice_helpers.make_spokesperson(incident, commander)
    voice.publish_statement(statement.pk, by=commander)
    assert sorted(told("statement_published")) == sorted(["pr1", spokesperson.username])  # not the commander


def test_a_second_review_is_asked_of_the_legal_reviewers_and_approval_told_when_both_are_given(commander, pr, admin):
    incident = voice_helpers.incident_with_playbook(commander, version=voice_helpers.legal_version())
    statement = voice_helpers.from_legal_template(incident, pr)
    assert told("approval_requested") == ["cmd1"]
    assert told("second_review_requested") == ["admin1"]
    voice.approve_statement(statement.pk, by=commander)
    assert told("statement_approved") == []  # one of two
    voice.second_review_statement(statement.pk, by=admin)
    assert told("statement_approved") == ["pr1"]


def test_a_qa_line_waits_for_the_commander(incident, commander, pr):
    line = voice.create_line(incident.pk, by=pr, question="Was anyone hurt?", answer="One worker, in hospital.")
    voice.submit_line(line.pk, by=pr)
    assert told("approval_requested") == ["cmd1"]
    assert "Was anyone hurt?" in note("approval_requested").subject
    voice.approve_line(line.pk, by=commander)
    assert told("statement_approved") == ["pr1"]


def test_closing_tells_everyone_who_took_part_but_the_closer(commander, pr, responder, executive):
    incident = factories.declare(responder, commander=commander)
    services.assign_role(incident.pk, by=commander, user=pr, role="spokesperson")
    for name in ("activate", "contain", "resolve", "close"):
        services.transition_incident(incident.pk, by=commander, name=name, note="done")
    assert told("incident_closed") == ["pr1", "resp1"]


@override_settings(CRISIS_COMPLAINT_APPROVAL_ABOVE=Decimal("5000"))
def test_a_promise_beyond_authority_asks_the_rung_above():
    no_rules()
    handler = handler_user(username="h1")
    manager_user(username="m1")
    ladder_user(Level.BRANCH_HEAD, username="b1")  # two rungs up: not asked while the rung above has people
    complaint = log(factories.responder_user(username="desk"))
    complaints.act(complaint.pk, by=handler, action="acknowledge")
    complaints.act(complaint.pk, by=handler, action="investigate", data={"facts": "Leak.", "emotions": "Angry."})
    complaints.act(
        complaint.pk,
        by=handler,
        action="propose",
        data={"root_cause": "Bad joint.", "solution": "Replace it.", "compensation": "8000"},
    )
    assert told("complaint_approval_requested") == ["m1"]
    assert "8000" in note("complaint_approval_requested").body


def test_a_disputed_complaint_is_told_to_its_new_rung_not_to_the_one_who_escalated():
    no_rules()
    handler = handler_user(username="h1")
    manager_user(username="m1")
    handler_user(username="h2")
    complaint = log(factories.responder_user(username="desk"))
    complaints.act(complaint.pk, by=handler, action="acknowledge")
    complaints.act(complaint.pk, by=handler, action="investigate", data={"facts": "Leak.", "emotions": "Angry."})
    complaints.act(complaint.pk, by=handler, action="propose", data={"root_cause": "Joint.", "solution": "Replace it."})
    complaints.act(complaint.pk, by=handler, action="agree")
    complaints.act(complaint.pk, by=handler, action="dispute", data={"reason": "Customer rejects the offer."})
    assert told("complaint_escalated") == ["m1"]
    assert "disputed" in note("complaint_escalated").body
