"""Timers against a real Redis broker, a real Celery worker process and real Celery beat.

Not eager mode: deadlines are scheduled through the services, the worker runs as its own process
group, and the tests read what happened from the database."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app
from incidents import services
from incidents.clock.alarms import fire_alarm
from incidents.clock.models import Alarm, AlarmKind
from incidents.models import Deadline, DeadlineState, EntryKind, TimelineEntry
from incidents.notify.delivery import deliver_notification
from incidents.notify.models import Notification, WebhookEndpoint
from playbooks.exchange import import_text
from tests import factories
from tests.alarms import alarms_of, caused_by
from tests.processes import wait_for
from tests.receivers import Receiver

SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")
# How late an alarm may be handled in these tests: generous for a busy CI machine. The benchmark
# (manage.py bench_timers) measures the real figures.
TOLERANCE = 2.0

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def running(timer_processes):
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user()
    return factories.declare(commander, commander=commander)


def deadline(incident, code="holding-statement"):
    return Deadline.objects.get(incident=incident, code=code)


def move(d, seconds, by=None):
    due_at = timezone.now() + timedelta(seconds=seconds)
    return services.move_deadline(d.pk, by=by or d.incident.commander, due_at=due_at, reason="test")


def breaches(d):
    return TimelineEntry.objects.filter(incident_id=d.incident_id, kind=EntryKind.BREACH, data__deadline=d.pk)


def test_a_deadline_two_seconds_out_is_breached_on_time(running):
    d = move(deadline(running), 2)
    assert wait_for(lambda: Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED, timeout=2 + TOLERANCE + 3)
    alarm = alarms_of(d).get(kind=AlarmKind.BREACH, cancelled_at__isnull=True)
    assert 0 <= alarm.lateness < TOLERANCE, alarm.lateness
    assert breaches(d).count() == 1
    commander_notes = caused_by(alarm).filter(recipient=running.commander, channel="in_app")
    assert commander_notes.count() == 1


def test_a_deadline_met_in_time_never_breaches(running):
    d = move(deadline(running), 2)
    services.meet_deadline(d.pk, by=running.commander, evidence="Posted at once.")
    wait_for(lambda: False, timeout=2 + TOLERANCE)
    assert Deadline.objects.get(pk=d.pk).state == DeadlineState.MET
    assert not breaches(d).exists()
    # (A reminder that was already due may have fired; the breach must not.)
    assert not alarms_of(d).filter(kind=AlarmKind.BREACH, handled_at__isnull=False).exists()


def test_a_moved_deadline_fires_only_at_its_new_time(running):
    d = move(deadline(running), 2)
    d = move(d, 6)
    new_due = d.due_at
    wait_for(lambda: False, timeout=3.5)
    assert Deadline.objects.get(pk=d.pk).state == DeadlineState.PENDING  # the old alarm did nothing
    assert wait_for(lambda: Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED, timeout=3 + TOLERANCE + 3)
    handled = alarms_of(d).get(kind=AlarmKind.BREACH, handled_at__isnull=False)
    assert handled.fire_at == new_due and handled.lateness < TOLERANCE
    assert breaches(d).count() == 1


def test_a_reminder_fires_at_its_lead_time(running):
    # Reminders at 30 and 10 minutes before: due in 10 minutes and 2 seconds, the 10-minute one
    # falls due in 2 seconds.
    d = move(deadline(running, "report-authority"), 10 * 60 + 2)
    reminder = alarms_of(d).get(kind=AlarmKind.REMINDER, cancelled_at__isnull=True)
    assert reminder.lead_minutes == 10
    assert wait_for(lambda: Alarm.objects.get(pk=reminder.pk).handled_at, timeout=2 + TOLERANCE + 3)
    reminder.refresh_from_db()
    assert reminder.lateness < TOLERANCE
    entry = TimelineEntry.objects.get(incident=running, kind=EntryKind.REMINDER, data__deadline=d.pk)
    assert entry.data["lead_minutes"] == 10
    assert Deadline.objects.get(pk=d.pk).state == DeadlineState.PENDING


def test_the_same_breach_message_twice_gives_one_notification(running):
    d = move(deadline(running), 1)
    alarm = alarms_of(d).get(kind=AlarmKind.BREACH, cancelled_at__isnull=True)
    for _ in range(3):  # redelivered messages, e.g. after a visibility timeout
        fire_alarm.apply_async(args=[alarm.pk, str(alarm.token)], eta=alarm.fire_at)
    assert wait_for(lambda: Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED, timeout=1 + TOLERANCE + 3)
    wait_for(lambda: False, timeout=2)
    assert breaches(d).count() == 1
    per_person = caused_by(alarm).filter(channel="in_app").values_list("recipient", flat=True)
    assert len(per_person) == len(set(per_person)) >= 1


def test_a_purged_queue_delays_an_alarm_by_one_sweep_at_most(running):
    d = move(deadline(running), 2)
    app.control.purge()  # the ETA message is gone; only the sweep can find the alarm now
    assert wait_for(lambda: Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED, timeout=2 + TOLERANCE + 3)
    alarm = alarms_of(d).get(kind=AlarmKind.BREACH, cancelled_at__isnull=True)
    assert breaches(d).count() == 1
    assert alarm.lateness < TOLERANCE


def test_a_killed_worker_loses_nothing_and_duplicates_nothing(running, timer_processes):
    commander = running.commander
    incidents = [factories.declare(commander, commander=commander) for _ in range(3)]
    deadlines = []
    for n, incident in enumerate(incidents):
        for code, seconds in (("holding-statement", 2 + n), ("report-authority", 3 + n), ("customer-reply", 4 + n)):
            deadlines.append(move(deadline(incident, code), seconds))
    timer_processes.worker.kill()  # holds the ETA messages in memory; they die with it
    wait_for(lambda: False, timeout=7)
    assert all(Deadline.objects.get(pk=d.pk).state == DeadlineState.PENDING for d in deadlines)
    timer_processes.worker.start()
    done = wait_for(
        lambda: all(Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED for d in deadlines), timeout=20
    )
    assert done, timer_processes.worker.log()[-3000:]
    wait_for(lambda: False, timeout=3)  # room for any duplicate to show up
    for d in deadlines:
        assert breaches(d).count() == 1
        assert alarms_of(d).filter(kind=AlarmKind.BREACH, handled_at__isnull=False).count() == 1
    causes = [f"alarm:{alarm.pk}" for d in deadlines for alarm in alarms_of(d)]
    recipients = Notification.objects.filter(cause__in=causes, channel="in_app")
    assert recipients.count() == len(set(recipients.values_list("cause", "recipient")))


def test_a_slow_webhook_receiver_never_delays_an_alarm(running):
    """Deliveries have their own queue and worker: with the delivery worker's whole pool stuck on
    a receiver that does not answer, a breach two seconds out is still handled on time."""
    receiver = Receiver(delay=8)  # longer than the console waits for an answer
    try:
        endpoint = WebhookEndpoint.objects.create(name="slow", url=receiver.url, secret="s")
        stuck = [
            Notification.objects.create(channel="webhook", endpoint=endpoint, event="deadline_breached", subject="x")
            for _ in range(6)
        ]
        for notification in stuck:
            deliver_notification.delay(notification.pk)
        wait_for(lambda: False, timeout=1)  # the delivery worker is now busy for seconds
        d = move(deadline(running), 2)
        assert wait_for(lambda: Deadline.objects.get(pk=d.pk).state == DeadlineState.BREACHED, timeout=2 + TOLERANCE)
        alarm = alarms_of(d).get(kind=AlarmKind.BREACH, cancelled_at__isnull=True)
        assert 0 <= alarm.lateness < TOLERANCE, alarm.lateness
    finally:
        receiver.close()
