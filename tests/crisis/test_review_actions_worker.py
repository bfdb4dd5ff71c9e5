"""Action items from a review are reminded and, overdue, escalated exactly once through the real
Celery worker and beat (issue 18); finishing an item calls its alarms off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from crisis.reviews import alarms as review_alarms
from crisis.reviews import services as reviews
from crisis.reviews.models import ReviewAction
from incidents import services
from incidents.clock.models import AlarmKind
from incidents.notify.models import Notification
from incidents.timeline import lock_incident
from tests import factories
from tests.alarms import alarms_of, caused_by
from tests.processes import wait_for

TOLERANCE = 2.0
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def closed_incident(commander):
    incident = factories.declare(commander, commander=commander)
    services.transition_incident(incident.pk, by=commander, name="activate")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="ok")
    services.transition_incident(incident.pk, by=commander, name="close", note="ok", open_items="finish")
    return incident


def due_in(action: ReviewAction, seconds: float) -> ReviewAction:
    """Bring an action item's due time close (test set-up: in life it is days away)."""
    with transaction.atomic():
        lock_incident(action.review.incident_id)  # the plan runs under the incident's lock, as the services'

        action.due_at = timezone.now() + timedelta(seconds=seconds)
        action.save(update_fields=["due_at"])
        review_alarms.plan(action)
    return action


def an_action_item(name: str):
    """A closed incident's commander, and an action item from its review owned by someone else."""
    commander = factories.commander_user(username=f"cmd-{name}")
    owner = factories.responder_user(username=f"owner-{name}")
    incident = closed_incident(commander)
    action = reviews.add_action(
        incident.pk, by=commander, title=f"复查 {name}", owner_id=owner.pk, due_at=timezone.now() + timedelta(days=3)
    )
    return commander, owner, action


def test_an_overdue_action_item_is_told_once_to_its_owner_and_the_commander(timer_processes):
    commander, owner, action = an_action_item("a")
    reminders = alarms_of(action).filter(kind=AlarmKind.REMINDER)
    assert reminders.count() == 1 and reminders.get().lead_minutes == review_alarms.REMIND_BEFORE_MINUTES
    due_in(action, 2)
    assert wait_for(
        lambda: alarms_of(action).filter(kind=AlarmKind.BREACH, handled_at__isnull=False).exists(),
        timeout=2 + TOLERANCE + 3,
    )
    breach = alarms_of(action).get(kind=AlarmKind.BREACH, handled_at__isnull=False)
    assert 0 <= breach.lateness < TOLERANCE, breach.lateness
    wait_for(lambda: False, timeout=1.5)  # give a duplicate (ETA vs sweep) the chance to show
    told = caused_by(breach).filter(channel="in_app", event="deadline_breached")
    assert sorted(told.values_list("recipient", flat=True)) == sorted([owner.pk, commander.pk])


def test_a_finished_action_item_is_never_called_overdue(timer_processes):
    _commander, owner, action = an_action_item("b")
    due_in(action, 2)  # within a day: its one reminder is due at once, and may already have gone out
    reviews.finish_action(action.pk, by=owner, state="done")
    wait_for(lambda: False, timeout=2 + TOLERANCE + 1)
    breach = alarms_of(action).filter(kind=AlarmKind.BREACH)
    assert breach.exists() and not breach.filter(handled_at__isnull=False, cancelled_at__isnull=True).exists()
    told = Notification.objects.filter(topic_type=review_alarms.TOPIC, topic_id=action.pk)
    assert not told.filter(event="deadline_breached").exists()
