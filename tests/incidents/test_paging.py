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
    assert told() == {"cmd1": ["incident_declared"], "exec1": ["incident_declared_fyi"]}
    page = Notification.objects.get(channel=Channel.IN_APP, recipient=commander)
    assert "一名工人受伤送医" in page.subject and "on duty as commander" in page.body


def test_a_minor_incident_pages_the_commander_only(commander, responder, executive):
    on_duty(commander)
    declare(responder, severity=3)
    assert told() == {"cmd1": ["incident_declared"]}


def test_nobody_is_told_of_their_own_declaration(commander, executive):
    on_duty(commander)
    declare(commander)
    assert told() == {"exec1": ["incident_declared_fyi"]}


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
    assert told() == {"cmd1": ["incident_declared"], "exec1": ["incident_declared_fyi"]}


def test_without_anyone_on_duty_the_executives_still_learn_of_a_severe_incident(responder, executive):
    declare(responder)
    assert told() == {"exec1": ["incident_declared_fyi"]}


def test_a_page_is_in_the_recipients_language(commander, responder):
    NotificationPreference.objects.create(user=commander, language="zh-hans")
    on_duty(commander)
    declare(responder, severity=4)
    page = Notification.objects.get(channel=Channel.IN_APP, recipient=commander)
    assert page.subject == "事件已上报：一名工人受伤送医" and "您是值班指挥" in page.body, page.subject
