"""The first pages (issue 16): a declared incident pages the commander on duty for its kind and,
at severity 1–2, tells the executives; a new commander is told they command. Nobody is told of
their own action, and each person once."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.complaints import services as complaints
from incidents.complaints.models import Trigger
from incidents.notify.models import Channel, Notification, NotificationPreference
from incidents.oncall.models import DutyPosition, DutyRotation, HandoverPeriod
from tests import factories
from tests.incidents.complaint_helpers import body, only_rule

pytestmark = pytest.mark.django_db


def on_duty(user, kind: str = "", position=DutyPosition.PRIMARY) -> None:
    rotation = DutyRotation.objects.create(
        name=f"{position} {kind}",
        position=position,
        crisis_kind=kind,
        period=HandoverPeriod.DAILY,
        handover_time=time(0, 0),
        starts_on=timezone.localdate() - timedelta(days=3),
    )
    rotation.members.create(user=user, order=0)


def told(event: str | None = None) -> dict[str, list[str]]:
    """Who got which in-console notification: {username: [event, …]}."""
    rows = Notification.objects.filter(channel=Channel.IN_APP)
    if event:
        rows = rows.filter(event=event)
    result: dict[str, list[str]] = {}
    for username, code in rows.values_list("recipient__username", "event").order_by("pk"):
        result.setdefault(username, []).append(code)
    return result


def declare(by, **kw):
    values = {"kind": "site_safety", "severity": 1, "title": "一名工人受伤送医"}
    values.update(kw)
    return services.declare_incident(by=by, **values)


def test_a_severe_incident_pages_the_commander_on_duty_and_tells_the_executives(
    commander, commander2, responder, executive
):
    on_duty(commander)
    on_duty(commander2, position=DutyPosition.BACKUP)
    declare(responder)
    assert told() == {"cmd1": ["incident_declared"], "exec1": ["incident_declared"]}
    page = Notification.objects.get(channel=Channel.IN_APP, recipient=commander)
    assert "一名工人受伤送医" in page.subject and "on duty as commander" in page.body


def test_a_minor_incident_pages_the_commander_only(commander, responder, executive):
    on_duty(commander)
    declare(responder, severity=3)
    assert told() == {"cmd1": ["incident_declared"]}


def test_nobody_is_told_of_their_own_declaration(commander, executive):
    on_duty(commander)
    declare(commander)
    assert told() == {"exec1": ["incident_declared"]}


def test_a_kind_with_its_own_rotation_pages_its_commander(commander, commander2, responder):
    on_duty(commander)
    on_duty(commander2, kind="site_safety")
    declare(responder, severity=4)
    declare(responder, severity=4, kind="online_outrage", title="热搜")
    assert told() == {"cmd2": ["incident_declared"], "cmd1": ["incident_declared"]}
    assert (
        Notification.objects.get(channel=Channel.IN_APP, recipient=commander2).topic_id
        != Notification.objects.get(channel=Channel.IN_APP, recipient=commander).topic_id
    )


def test_a_commander_named_at_declaration_is_told_instead_of_the_one_on_duty(commander, commander2, responder):
    on_duty(commander)
    declare(responder, severity=3, commander=commander2)
    assert told() == {"cmd2": ["command_handed_to_you"]}


def test_a_hand_over_tells_the_new_commander_and_taking_command_oneself_tells_nobody(commander, commander2, responder):
    on_duty(commander)
    incident = declare(responder, severity=4)
    services.change_command(incident.pk, by=commander, to=commander)  # takes it: nobody to tell
    assert told("command_handed_to_you") == {}
    services.change_command(incident.pk, by=commander, to=commander2, briefing="Site sealed; family informed.")
    assert told("command_handed_to_you") == {"cmd2": ["command_handed_to_you"]}
    page = Notification.objects.get(channel=Channel.IN_APP, recipient=commander2)
    assert page.subject.startswith("You command") and "Zhang Wei handed you command" in page.body


def test_an_escalated_complaint_pages_the_commander_on_duty(commander, executive):
    """The issue's case: a complaint the rules escalated opened an incident and nobody was paged."""
    on_duty(commander)
    only_rule(Trigger.INJURY, crisis_kind="site_safety", severity=2)
    handler = factories.responder_user(username="desk1")
    complaint, _ = complaints.intake(by=handler, data=body(injury_risk=True))
    assert complaint.incident is not None
    assert told() == {"cmd1": ["incident_declared"], "exec1": ["incident_declared"]}


def test_without_anyone_on_duty_the_executives_still_learn_of_a_severe_incident(responder, executive):
    declare(responder)
    assert told() == {"exec1": ["incident_declared"]}


def test_a_page_is_in_the_recipients_language(commander, responder):
    NotificationPreference.objects.create(user=commander, language="zh-hans")
    on_duty(commander)
    declare(responder, severity=4)
    page = Notification.objects.get(channel=Channel.IN_APP, recipient=commander)
    assert page.subject == "事件已上报：一名工人受伤送医" and "您是值班指挥" in page.body, page.subject


# --- Acknowledgement and escalation (the clock driven by hand; the real worker: test_paging_worker) --


def escalation(page):
    from incidents.clock.models import Alarm
    from incidents.paging import PAGE

    return Alarm.objects.pending().owned_by(PAGE, page.pk)


def fire(page) -> bool:
    """The escalation alarm goes off now (as the sweep would handle it when due)."""
    from incidents.clock import alarms as clock

    alarm = escalation(page).get()
    return clock.handle(alarm.pk, token=None, via="sweep")


def the_page(incident):
    from incidents.models import Page

    return Page.objects.get(incident=incident)


def test_an_unacknowledged_page_climbs_to_the_backup_then_the_admins_and_executives(
    commander, commander2, responder, executive, admin
):
    on_duty(commander)
    on_duty(commander2, position=DutyPosition.BACKUP)
    incident = declare(responder)
    page = the_page(incident)
    alarm = escalation(page).get()
    assert alarm.fire_at == page.created_at + timedelta(minutes=5)  # severity I: five minutes
    assert fire(page)
    assert told("page_unacknowledged") == {"cmd2": ["page_unacknowledged"]}
    second = escalation(page).get()
    assert fire(page)
    assert told("page_unacknowledged") == {
        "cmd2": ["page_unacknowledged"],
        "exec1": ["page_unacknowledged"],
        "admin1": ["page_unacknowledged"],
    }
    assert not escalation(page).exists()  # the last rung: nothing more to climb
    assert not fire_again(second)  # the same alarm again does nothing
    backup_page = Notification.objects.get(recipient=commander2, event="page_unacknowledged", channel=Channel.IN_APP)
    assert backup_page.needs_ack and "backup commander" in backup_page.body
    kinds = list(incident.timeline.filter(kind="paged").values_list("data__step", flat=True))
    assert kinds == [0, 1, 2]


def fire_again(alarm) -> bool:
    from incidents.clock import alarms as clock

    return clock.handle(alarm.pk, token=None, via="sweep")


def test_severity_three_waits_fifteen_minutes_and_the_admins_policy_wins(commander, responder):
    from incidents.models import EscalationPolicy

    on_duty(commander)
    page = the_page(declare(responder, severity=3))
    assert escalation(page).get().fire_at == page.created_at + timedelta(minutes=15)
    EscalationPolicy.objects.filter(severity=4).update(ack_within=timedelta(minutes=2))
    page = the_page(declare(responder, severity=4))
    assert escalation(page).get().fire_at == page.created_at + timedelta(minutes=2)


def test_acknowledging_the_page_stops_the_escalation(commander, commander2, responder, client):
    from incidents.models import PageState

    on_duty(commander)
    on_duty(commander2, position=DutyPosition.BACKUP)
    incident = declare(responder, severity=2)
    note = Notification.objects.get(recipient=commander, channel=Channel.IN_APP, event="incident_declared")
    assert note.needs_ack and note.acked_at is None
    client.force_login(commander)
    answer = client.post(f"/api/notifications/{note.pk}/ack/")
    assert answer.status_code == 200 and answer.json()["acked_at"]
    page = the_page(incident)
    assert page.state == PageState.ACKNOWLEDGED and page.acknowledged_by == commander
    assert page.acknowledged_via == "notification"
    assert not escalation(page).exists()
    assert told("page_unacknowledged") == {}
    again = client.post(f"/api/notifications/{note.pk}/ack/")  # twice: the same answer, nothing more
    assert again.status_code == 200 and again.json()["acked_at"] == answer.json()["acked_at"]
    assert incident.timeline.filter(kind="page_acknowledged").count() == 1


def test_someone_elses_notification_cannot_be_acknowledged(commander, commander2, responder, client):
    on_duty(commander)
    incident = declare(responder, severity=2)
    note = Notification.objects.get(recipient=commander, channel=Channel.IN_APP)
    client.force_login(commander2)
    assert client.post(f"/api/notifications/{note.pk}/ack/").status_code == 404
    assert client.post("/api/notifications/99999999/ack/").status_code == 404
    assert the_page(incident).state == "open" and escalation(the_page(incident)).exists()
    client.logout()
    assert client.post(f"/api/notifications/{note.pk}/ack/").status_code in (401, 403)


def test_taking_command_answers_the_page(commander, commander2, responder):
    on_duty(commander)
    on_duty(commander2, position=DutyPosition.BACKUP)
    incident = declare(responder, severity=1)
    services.change_command(incident.pk, by=commander2, to=commander2)  # the backup takes it at once
    page = the_page(incident)
    assert page.state == "acknowledged" and page.acknowledged_via == "command"
    assert page.acknowledged_by == commander2
    assert not escalation(page).exists()


def test_an_incident_stood_down_calls_its_page_off(commander, responder):
    on_duty(commander)
    incident = declare(responder, severity=3)
    services.transition_incident(incident.pk, by=commander, name="stand_down", note="False alarm")
    page = the_page(incident)
    assert page.state == "called_off" and not escalation(page).exists()


def test_the_commander_on_duty_who_declares_is_not_paged_and_nothing_escalates(commander, commander2):
    on_duty(commander)
    on_duty(commander2, position=DutyPosition.BACKUP)
    incident = declare(commander, severity=1)
    page = the_page(incident)
    assert page.state == "acknowledged" and page.acknowledged_via == "declared"
    assert not escalation(page).exists() and told() == {}


def test_with_nobody_on_duty_the_backup_is_paged_first(commander2, responder):
    on_duty(commander2, position=DutyPosition.BACKUP)
    incident = declare(responder, severity=3)
    assert told() == {"cmd2": ["incident_declared"]}
    assert the_page(incident).step == 1
