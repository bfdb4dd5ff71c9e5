"""Escalated complaints are triaged before legal clocks start (issue 15, item 4).

A complaint about a *risk* of injury, a journalist or official complaining, a repeat wave: each is
a signal, not a confirmed crisis. The incident opens in triage with its playbook pinned and nothing
of it running — no deadline, no task, no first-hour report, no alarm. The commander confirms "it
happened" (the statutory one-hour report then runs from the moment the company learned of it,
which may be the complaint's receipt) or stands it down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from config.errors import NotAllowed, RuleBroken
from incidents import services
from incidents.alarms import FIRST_HOUR
from incidents.clock.models import Alarm
from incidents.complaints.defaults import DEFAULT_RULES, create_default_rules, set_default_triage
from incidents.complaints.models import EscalationRule, Trigger
from incidents.models import Deadline, EntryKind, Incident, Status, Task, TimelineEntry
from incidents.timeline import describe
from playbooks.defaults import load_default_playbooks
from tests import factories

from .complaint_helpers import log, only_rule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def playbooks():
    load_default_playbooks()


def _nothing_runs(incident: Incident) -> None:
    assert not Deadline.objects.filter(incident=incident).exists()
    assert not Task.objects.filter(incident=incident).exists()
    assert not Alarm.objects.filter(owner_id=incident.pk, owner_type=FIRST_HOUR).exists()


def _injury_complaint(by, **kw):
    only_rule(Trigger.INJURY, crisis_kind="site_safety", severity=2)
    return log(by, injury_risk=True, **kw)


def test_a_complaint_about_a_risk_of_injury_opens_a_site_safety_incident_in_triage_with_no_clock(responder):
    complaint = _injury_complaint(responder)
    incident = complaint.incident
    assert (incident.kind, incident.status) == ("site_safety", Status.TRIAGE)
    assert incident.playbook_version is not None  # pinned, to run when confirmed
    _nothing_runs(incident)
    declared = TimelineEntry.objects.get(incident=incident, kind=EntryKind.DECLARED)
    assert declared.data["triage"] is True
    assert "triage" in describe(declared.kind, declared.data, declared.text)


@pytest.mark.parametrize(
    "trigger,complaint",
    [
        (Trigger.VIP, {"vip": ["media_reporter"]}),
        (Trigger.VIP, {"vip": ["government_official"]}),
    ],
)
def test_a_journalist_or_official_complaining_opens_in_triage_with_no_automatic_public_statement(
    responder, trigger, complaint
):
    only_rule(trigger, crisis_kind="online_outrage", vip_flags=["media_reporter", "government_official"])
    incident = log(responder, **complaint).incident
    assert incident.status == Status.TRIAGE
    assert not Deadline.objects.filter(incident=incident, audience="public").exists()
    _nothing_runs(incident)


def test_a_repeat_wave_opens_in_triage_and_later_complaints_join_it(responder):
    only_rule(Trigger.REPEAT, crisis_kind="owner_protest", threshold=2)
    log(responder)
    incident = log(responder).incident
    assert incident.status == Status.TRIAGE
    assert log(responder).incident == incident  # joins the incident in triage, opens no second one
    _nothing_runs(incident)


def test_the_default_rules_triage_signals_and_not_what_is_public_already():
    EscalationRule.objects.all().delete()
    create_default_rules(EscalationRule)
    triage = dict(EscalationRule.objects.values_list("trigger", "opens_in_triage"))
    assert triage == {"injury": True, "vip": True, "repeat": True, "mass": False, "online": False}
    EscalationRule.objects.update(opens_in_triage=True)  # as the migration finds rules made before
    set_default_triage(EscalationRule)
    assert dict(EscalationRule.objects.values_list("trigger", "opens_in_triage")) == triage
    assert len(DEFAULT_RULES) == len(triage)


def test_a_rule_that_does_not_triage_starts_the_clocks_at_once(responder):
    only_rule(Trigger.ONLINE, crisis_kind="online_outrage", opens_in_triage=False)
    incident = log(responder, online_spread=True).incident
    assert incident.status == Status.REPORTED
    assert Deadline.objects.filter(incident=incident).exists()


def test_confirming_starts_the_one_hour_report_from_when_the_company_learned_of_it(responder, commander):
    complaint = _injury_complaint(responder)
    incident = complaint.incident
    learned = complaint.received_at  # the default: the complaint's receipt
    confirmed = services.confirm_incident(incident.pk, by=commander, severity=1, note="一名工人坠落")
    assert confirmed.status == Status.REPORTED
    assert (confirmed.detected_at, confirmed.severity) == (learned, 1)
    report = Deadline.objects.get(incident=incident, code="report-authority")
    assert report.due_at == learned + timedelta(hours=1)
    assert Task.objects.filter(incident=incident).exists()
    assert Alarm.objects.filter(owner_id=incident.pk, owner_type=FIRST_HOUR).exists()
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.TRANSITION).get()
    assert entry.data["transition"] == "confirm" and entry.data["from"] == "triage"
    assert entry.data["playbook"]["deadlines"] == Deadline.objects.filter(incident=incident).count()
    assert "Confirmed" in describe(entry.kind, entry.data, entry.text)
    # Then the usual lifecycle: a commander, and it is active.
    services.change_command(incident.pk, by=commander, to=commander)
    assert services.transition_incident(incident.pk, by=commander, name="activate").status == Status.ACTIVE


def test_the_commander_gives_the_moment_the_company_learned_of_it(responder, commander):
    incident = _injury_complaint(responder).incident
    learned = timezone.now() - timedelta(minutes=25)
    services.confirm_incident(incident.pk, by=commander, learned_at=learned)
    assert Deadline.objects.get(incident=incident, code="report-authority").due_at == learned + timedelta(hours=1)


def test_standing_down_a_triage_incident_starts_nothing(responder, commander):
    incident = _injury_complaint(responder).incident
    done = services.transition_incident(incident.pk, by=commander, name="stand_down", note="只是隐患，已整改")
    assert done.status == Status.STOOD_DOWN
    _nothing_runs(incident)
    with pytest.raises(RuleBroken):
        services.confirm_incident(incident.pk, by=commander)


def test_an_incident_in_triage_cannot_be_activated_before_it_is_confirmed(responder, commander):
    incident = _injury_complaint(responder).incident
    services.change_command(incident.pk, by=commander, to=commander)
    with pytest.raises(RuleBroken):
        services.transition_incident(incident.pk, by=commander, name="activate")
    assert "activate" not in services.allowed_transitions(Incident.objects.get(pk=incident.pk), commander)


def test_only_a_triage_incident_is_confirmed(commander):
    incident = factories.declare(commander, commander=commander)
    with pytest.raises(RuleBroken):
        services.confirm_incident(incident.pk, by=commander)


def test_a_bad_confirmation_changes_nothing(responder, commander):
    incident = _injury_complaint(responder).incident
    with pytest.raises(ValidationError) as bad:
        services.confirm_incident(incident.pk, by=commander, learned_at=timezone.now() + timedelta(hours=2), severity=9)
    assert set(bad.value.message_dict) == {"learned_at", "severity"}
    incident.refresh_from_db()
    assert incident.status == Status.TRIAGE
    _nothing_runs(incident)


def test_someone_who_may_not_command_cannot_confirm(responder):
    incident = _injury_complaint(responder).incident
    with pytest.raises(NotAllowed):
        services.confirm_incident(incident.pk, by=responder)
    assert Incident.objects.get(pk=incident.pk).status == Status.TRIAGE


def test_a_person_may_open_an_incident_in_triage_by_hand(commander):
    incident = factories.declare(commander, triage=True)
    assert incident.status == Status.TRIAGE
    _nothing_runs(incident)


def test_the_api_confirms_and_answers_errors_without_changing_anything(api, responder, commander):
    incident = _injury_complaint(responder).incident
    client = api.as_user(commander)
    assert (
        client.post(f"/api/incidents/{incident.pk}/confirm/", {"learned_at": "yesterday"}, format="json").status_code
        == 400
    )
    assert api.as_user(responder).post(f"/api/incidents/{incident.pk}/confirm/", {}, format="json").status_code == 403
    client = api.as_user(commander)  # one client: it is the commander again
    before = client.get(f"/api/incidents/{incident.pk}/").json()
    assert before["status"] == "triage" and "confirm" in before["allowed_transitions"]
    learned = (timezone.now() - timedelta(minutes=5)).isoformat()
    response = client.post(
        f"/api/incidents/{incident.pk}/confirm/", {"learned_at": learned, "severity": 1}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["severity"]) == ("reported", 1)
    again = client.post(f"/api/incidents/{incident.pk}/confirm/", {}, format="json")
    assert again.status_code == 409


def test_the_generic_transition_confirms_as_learned_when_triage_began(api, responder, commander):
    complaint = _injury_complaint(responder)
    response = api.as_user(commander).post(
        f"/api/incidents/{complaint.incident_id}/transition/", {"transition": "confirm"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "reported"
    assert Deadline.objects.get(incident=complaint.incident_id, code="report-authority").due_at == (
        complaint.received_at + timedelta(hours=1)
    )


def test_the_war_room_shows_triage_and_confirms_from_its_form(client, responder, commander):
    incident = _injury_complaint(responder).incident
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert 'id="triage-note"' in page and 'data-transition="confirm"' in page
    assert 'data-transition="activate"' not in page and "data-first-hour" not in page
    future = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(f"/incidents/{incident.pk}/confirm/", {"learned_at": future, "severity": "2"}, follow=True)
    assert refused.status_code == 200 and "future" in refused.content.decode()
    assert Incident.objects.get(pk=incident.pk).status == Status.TRIAGE
    learned = timezone.localtime(timezone.now() - timedelta(minutes=10)).replace(second=0, microsecond=0)
    client.post(
        f"/incidents/{incident.pk}/confirm/", {"learned_at": learned.strftime("%Y-%m-%dT%H:%M"), "severity": "1"}
    )
    incident.refresh_from_db()
    assert (incident.status, incident.severity, incident.detected_at) == (Status.REPORTED, 1, learned)
    assert 'id="triage-note"' not in client.get(f"/incidents/{incident.pk}/").content.decode()
