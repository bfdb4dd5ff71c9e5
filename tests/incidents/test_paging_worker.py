"""Paging escalation against the real Redis broker, Celery worker and beat (issue 16).

The escalation policy is set to two seconds so that each rung is reached within a test; the
rungs are alarms on the clock like any deadline, so the same token + lock + sweep rules hold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incidents import services
from incidents.models import EscalationPolicy, Page, PageState
from incidents.notify import delivery as notify
from incidents.notify.models import Channel, Notification
from incidents.oncall.models import DutyPosition
from tests import factories
from tests.incidents.test_paging import on_duty
from tests.processes import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WINDOW = 2  # seconds a page waits per rung in these tests
TOLERANCE = 2.0  # how late a rung may come on a busy CI machine (bench_timers measures the real figure)


@pytest.fixture
def rota(timer_processes):
    people = {
        "primary": factories.commander_user(username="duty-primary"),
        "backup": factories.commander_user(username="duty-backup"),
        "exec": factories.exec_user(username="duty-exec"),
        "admin": factories.admin_user(username="duty-admin"),
        "responder": factories.responder_user(username="duty-responder"),
    }
    on_duty(people["primary"])
    on_duty(people["backup"], position=DutyPosition.BACKUP)
    for severity in (1, 2, 3, 4):
        EscalationPolicy.objects.update_or_create(severity=severity, defaults={"ack_within": timedelta(seconds=WINDOW)})
    return people


def pages(event: str) -> list[str]:
    rows = Notification.objects.filter(channel=Channel.IN_APP, event=event).order_by("recipient__username")
    return list(rows.values_list("recipient__username", flat=True))


def declare(by, severity: int = 1):
    return services.declare_incident(by=by, kind="site_safety", severity=severity, title="一名工人受伤送医")


def test_an_unacknowledged_page_reaches_the_backup_once_then_the_admins_and_executives(rota):
    incident = declare(rota["responder"])
    assert pages("incident_declared") == ["duty-exec", "duty-primary"]  # at once
    assert wait_for(lambda: pages("page_unacknowledged") == ["duty-backup"], timeout=WINDOW + TOLERANCE + 1)
    backup_paged = Notification.objects.get(event="page_unacknowledged", channel=Channel.IN_APP)
    page = Page.objects.get(incident=incident)
    waited = (backup_paged.created_at - page.created_at).total_seconds()
    assert WINDOW <= waited < WINDOW + TOLERANCE, waited
    assert wait_for(
        lambda: pages("page_unacknowledged") == ["duty-admin", "duty-backup", "duty-exec"],
        timeout=WINDOW + TOLERANCE + 1,
    )
    wait_for(lambda: False, timeout=WINDOW + 1)  # room for any duplicate or a fourth rung
    assert pages("page_unacknowledged") == ["duty-admin", "duty-backup", "duty-exec"]
    assert list(incident.timeline.filter(kind="paged").values_list("data__step", flat=True)) == [0, 1, 2]


def test_an_acknowledged_page_reaches_nobody_else(rota):
    incident = declare(rota["responder"])
    note = Notification.objects.get(recipient=rota["primary"], channel=Channel.IN_APP)
    notify.acknowledge(note.pk, rota["primary"])
    wait_for(lambda: False, timeout=WINDOW + TOLERANCE + 1)
    assert pages("page_unacknowledged") == []
    assert Page.objects.get(incident=incident).state == PageState.ACKNOWLEDGED


def test_taking_command_stops_the_escalation(rota):
    incident = declare(rota["responder"], severity=2)
    services.change_command(incident.pk, by=rota["primary"], to=rota["primary"])
    wait_for(lambda: False, timeout=WINDOW + TOLERANCE + 1)
    assert pages("page_unacknowledged") == []


def test_a_killed_worker_still_pages_the_backup_exactly_once(rota, timer_processes):
    incidents = [declare(rota["responder"], severity=2) for _ in range(3)]
    timer_processes.worker.kill()  # the escalation ETA messages die with it
    wait_for(lambda: False, timeout=WINDOW + 1)
    assert pages("page_unacknowledged") == []
    timer_processes.worker.start()
    done = wait_for(lambda: Page.objects.filter(step__gte=1).count() == 3, timeout=20)
    assert done, timer_processes.worker.log()[-3000:]
    # Acknowledge before the last rung, then look for duplicates.
    for note in Notification.objects.filter(event="page_unacknowledged", channel=Channel.IN_APP):
        notify.acknowledge(note.pk, note.recipient)
    wait_for(lambda: False, timeout=WINDOW + 1)
    backup_pages = Notification.objects.filter(
        event="page_unacknowledged", channel=Channel.IN_APP, recipient=rota["backup"]
    )
    assert sorted(backup_pages.values_list("topic_id", flat=True)) == sorted(i.pk for i in incidents)


def test_the_delivery_worker_carries_a_declaration_to_the_teams_chat_group_signed(rota):
    from incidents.notify.models import ChatRobot, NotificationState
    from tests.provider_doubles import ProviderDouble

    group = ProviderDouble("feishu", secret="feishu-secret")
    try:
        ChatRobot.objects.create(name="应急群", provider="feishu", webhook_url=group.url, secret="feishu-secret")
        declare(rota["responder"])
        assert wait_for(lambda: len(group.requests) == 1, timeout=10), group.refused
        row = Notification.objects.get(channel=Channel.ROBOT)
        assert wait_for(lambda: Notification.objects.get(pk=row.pk).state == NotificationState.SENT, timeout=5)
        assert "一名工人受伤送医" in group.requests[0]["body"].decode()
        # Each rung of the unanswered page is announced too, once: the backup, then everyone.
        assert wait_for(lambda: len(group.requests) == 3, timeout=2 * WINDOW + TOLERANCE + 2)
        wait_for(lambda: False, timeout=WINDOW + 1)
        assert len(group.requests) == 3 and not group.refused
    finally:
        group.close()
