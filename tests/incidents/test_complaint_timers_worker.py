"""A complaint's time limit, missed, climbs the ladder through the real Celery worker and beat:
exactly once, however the ETA task and the sweep race."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from incidents.clock.models import AlarmKind
from incidents.complaints import ladder
from incidents.complaints.models import ComplaintDeadline, Level
from incidents.notify.models import Notification
from tests.alarms import alarms_of, caused_by
from tests.processes import wait_for

from .complaint_helpers import handler_user, log, manager_user, no_rules

TOLERANCE = 2.0
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def due_in(deadline: ComplaintDeadline, seconds: float) -> ComplaintDeadline:
    """Bring a time limit close (test set-up: in life the working-day calendar sets it)."""
    with transaction.atomic():
        deadline.due_at = timezone.now() + timedelta(seconds=seconds)
        deadline.save(update_fields=["due_at"])
        ladder.plan_deadline(deadline)
    return deadline


def test_a_missed_acknowledgement_climbs_the_ladder_once_through_the_worker(timer_processes):
    no_rules()
    handler, manager = handler_user(), manager_user()
    complaint = log(handler_user())
    ack = due_in(complaint.deadlines.get(kind="acknowledge"), 2)
    assert wait_for(lambda: ComplaintDeadline.objects.get(pk=ack.pk).state == "breached", timeout=2 + TOLERANCE + 3)
    complaint.refresh_from_db()
    assert complaint.level == Level.BUSINESS_MANAGER
    breach = alarms_of(ack).get(kind=AlarmKind.BREACH, handled_at__isnull=False)
    assert 0 <= breach.lateness < TOLERANCE, breach.lateness
    wait_for(lambda: False, timeout=1.5)  # give a duplicate (ETA vs sweep) the chance to show
    assert complaint.events.filter(kind="escalated").count() == 1
    # The rung it left hears of the breach; the new rung, once, that the complaint is now theirs.
    assert caused_by(breach).filter(recipient=handler, channel="in_app").count() == 1
    escalated = Notification.objects.filter(event="complaint_escalated", channel="in_app", topic_id=complaint.pk)
    assert list(escalated.values_list("recipient", flat=True)) == [manager.pk]
    # the new rung's own clocks are running
    assert set(complaint.deadlines.filter(state="pending", level=1).values_list("kind", flat=True)) == {
        "acknowledge",
        "resolve",
    }
