"""A new kind of clock, registered by a domain the clock has never heard of (tests/clockprobe,
installed only in the test suite), gets its reminder and its breach exactly once through the real
Celery worker and beat — with no change to incidents/clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.clock import alarms as clock
from incidents.clock.alarms import fire_alarm
from incidents.clock.models import Alarm, AlarmKind
from tests.clockprobe.models import OWNER_TYPE, Promise, Ring
from tests.processes import wait_for

TOLERANCE = 2.0
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_registered_owner_type_is_reminded_and_breached_exactly_once(timer_processes):
    promise = Promise.objects.create(what="call the owners' committee back")
    now = timezone.now()
    with transaction.atomic():
        reminder, breach = clock.schedule(
            [
                Alarm(owner_type=OWNER_TYPE, owner_id=promise.pk, kind=AlarmKind.REMINDER, lead_minutes=1,
                      fire_at=now + timedelta(seconds=1.5)),
                Alarm(owner_type=OWNER_TYPE, owner_id=promise.pk, kind=AlarmKind.BREACH,
                      fire_at=now + timedelta(seconds=3)),
            ]
        )  # fmt: skip
    # The same messages again, as a broker redelivering or a retrying sender would: still once.
    for alarm in (reminder, breach):
        fire_alarm.apply_async(args=[alarm.pk, str(alarm.token)], eta=alarm.fire_at)
    assert wait_for(lambda: Ring.objects.filter(promise=promise).count() >= 2, timeout=3 + TOLERANCE + 5)
    wait_for(lambda: False, timeout=1.5)  # room for a duplicate (ETA message, its copy, the sweep) to show
    assert sorted(Ring.objects.filter(promise=promise).values_list("kind", flat=True)) == ["breach", "reminder"]
    for alarm in (reminder, breach):
        alarm.refresh_from_db()
        assert alarm.handled_at is not None and 0 <= alarm.lateness < TOLERANCE, alarm.lateness
        assert Ring.objects.get(alarm_id=alarm.pk).kind == alarm.kind


def test_an_owner_that_is_gone_lets_its_alarm_be_claimed_without_acting(db):
    promise = Promise.objects.create(what="gone soon")
    with transaction.atomic():
        (alarm,) = clock.schedule(
            [Alarm(owner_type=OWNER_TYPE, owner_id=promise.pk, kind=AlarmKind.BREACH, fire_at=timezone.now())]
        )
    promise.delete()
    clock.sweep()  # (a running worker may have claimed it first: either way, once)
    alarm.refresh_from_db()
    assert alarm.handled_at is not None and not Ring.objects.exists()
    assert clock.sweep() == 0
