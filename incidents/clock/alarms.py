"""Planning, arming, handling and sweeping alarms — exactly once, never lost.

- Planning: an owner's alarms are (re)written in the owner's own transaction (`plan`, `schedule`,
  `cancel`). Replanning cancels what was there and writes new rows with new tokens.
- Arming: alarms due within the horizon (minutes, far below the Redis transport's visibility
  timeout) get an ETA Celery message after commit. Alarms further out are armed later by the
  periodic `arm_upcoming`, so no message ever waits days in the broker.
- Handling: `handle` locks the owner (as its registered type says), then the alarm, and acts only
  if the alarm is neither handled nor cancelled and an ETA message's token matches; the handling
  is recorded in the same transaction as its effect. ETA task and sweep may race: one acts.
- Sweeping: the periodic `sweep` handles every pending alarm whose time has come, so a lost
  worker, a purged queue or a restarted broker delays an alarm by at most one sweep interval.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import registry
from .models import Alarm, AlarmKind

log = logging.getLogger(__name__)


def horizon() -> timedelta:
    return timedelta(seconds=settings.CRISIS_TIMER_HORIZON_SECONDS)


# --- Planning (inside the owner's transaction) -------------------------------------------------------


def reminder_times(due_at: datetime, leads: Iterable[int], now: datetime) -> list[tuple[int, datetime]]:
    """Reminders still ahead; when all of them have passed but the due time has not, one now."""
    leads = sorted({lead for lead in leads if lead}, reverse=True)
    if due_at <= now:
        return []
    ahead = [(lead, due_at - timedelta(minutes=lead)) for lead in leads]
    upcoming = [(lead, at) for lead, at in ahead if at > now]
    if ahead and not upcoming:
        return [(min(leads), now)]
    return upcoming


def alarms_for(
    owner_type: str,
    owner_id: int,
    due_at: datetime,
    *,
    leads: Iterable[int] = (),
    now: datetime | None = None,
    not_before: datetime | None = None,
) -> list[Alarm]:
    """Unsaved alarms for something due at `due_at`: a reminder per lead time still ahead (none
    that would fire before `not_before`), then the breach at the due time."""
    now = now or timezone.now()
    alarms = [
        Alarm(owner_type=owner_type, owner_id=owner_id, kind=AlarmKind.REMINDER, lead_minutes=lead, fire_at=at)
        for lead, at in reminder_times(due_at, leads, now)
        if not_before is None or due_at - timedelta(minutes=lead) > not_before
    ]
    alarms.append(Alarm(owner_type=owner_type, owner_id=owner_id, kind=AlarmKind.BREACH, fire_at=due_at))
    return alarms


def schedule(alarms: list[Alarm]) -> list[Alarm]:
    """Write new alarms in one statement; those due within the horizon are sent to the broker after
    commit. The caller holds its owner's lock and has cancelled whatever these replace."""
    if not alarms:
        return []
    now = timezone.now()
    soon = now + horizon()
    for alarm in alarms:
        if alarm.fire_at <= soon:
            alarm.armed_at = now
    created = Alarm.objects.bulk_create(alarms)
    to_send = [(a.pk, str(a.token), a.fire_at) for a in created if a.armed_at is not None]
    if to_send:
        transaction.on_commit(lambda: _send(to_send))
    return created


def cancel(owner_type: str, owner_ids: int | Iterable[int]) -> int:
    """Cancel the pending alarms of some owners (a met deadline, a closed incident's tasks …)."""
    return Alarm.objects.pending().owned_by(owner_type, owner_ids).update(cancelled_at=timezone.now())


def plan(
    owner_type: str,
    owner_id: int,
    due_at: datetime | None,
    *,
    leads: Iterable[int] = (),
    not_before: datetime | None = None,
) -> list[Alarm]:
    """Replace an owner's alarms with reminders and a breach for `due_at` (none when None)."""
    cancel(owner_type, owner_id)
    if due_at is None:
        return []
    return schedule(alarms_for(owner_type, owner_id, due_at, leads=leads, not_before=not_before))


# --- Arming ----------------------------------------------------------------------------------------


def _send(alarms: list[tuple[int, str, datetime]]) -> None:
    for alarm_id, token, fire_at in alarms:
        try:
            fire_alarm.apply_async(args=[alarm_id, token], eta=fire_at)
        except Exception:  # the broker is down: the sweep will handle the alarm when it is due
            log.exception("Could not hand alarm %s to the broker; the sweep will catch it", alarm_id)


def arm_upcoming() -> int:
    """Give the broker the alarms that come due within the horizon and have no message yet."""
    now = timezone.now()
    with transaction.atomic():
        due_soon = list(
            Alarm.objects.pending()
            .filter(armed_at__isnull=True, fire_at__lte=now + horizon())
            .select_for_update(skip_locked=True)
            .values_list("pk", "token", "fire_at")[:1000]
        )
        Alarm.objects.filter(pk__in=[row[0] for row in due_soon]).update(armed_at=now)
        to_send = [(pk, str(token), fire_at) for pk, token, fire_at in due_soon]
        transaction.on_commit(lambda: _send(to_send))
    return len(to_send)


# --- Handling --------------------------------------------------------------------------------------


def _claim(alarm_id: int, *, token: str | None, via: str) -> Alarm | None:
    """Lock the alarm and mark it handled, if it still applies. The caller holds its owner's lock."""
    alarm = Alarm.objects.select_for_update().filter(pk=alarm_id).first()
    if alarm is None or (token is not None and str(alarm.token) != str(token)):
        return None
    if alarm.handled_at is not None or alarm.cancelled_at is not None:
        return None
    alarm.handled_at = timezone.now()
    alarm.handled_via = via
    alarm.save(update_fields=["handled_at", "handled_via"])
    return alarm


def handle(alarm_id: int, *, token: str | None, via: str, owner: tuple[str, int] | None = None) -> bool:
    """Act on an alarm if, and only if, it still applies. True when this call acted.

    Locks the owner first (the order every writer of that owner uses), then the alarm. The sweep
    passes `owner` (it read it with the alarm) and does not wait for an owner someone else holds —
    most likely an ETA task acting on this very alarm —: it looks again next round.
    """
    if owner is None:
        owner = Alarm.objects.filter(pk=alarm_id).values_list("owner_type", "owner_id").first()
        if owner is None:
            return False
    kind = registry.owner_type(owner[0])
    with transaction.atomic():
        try:
            context = kind.lock(owner[1], via == "sweep")
        except registry.Busy:
            return False
        except registry.Gone:
            context = None
        alarm = _claim(alarm_id, token=token, via=via)
        if alarm is None:
            return False
        if context is not None:
            kind.act(context, alarm)
    return True


def sweep(limit: int = 500) -> int:
    """Handle every pending alarm whose time has come. Returns how many this call acted on."""
    due = list(
        Alarm.objects.pending()
        .filter(fire_at__lte=timezone.now())
        .order_by("fire_at")
        .values_list("pk", "owner_type", "owner_id")[:limit]
    )
    acted = 0
    for alarm_id, owner_type, owner_id in due:
        try:
            acted += handle(alarm_id, token=None, via="sweep", owner=(owner_type, owner_id))
        except Exception:  # one bad alarm must not stop the others
            log.exception("Sweep could not handle alarm %s", alarm_id)
    return acted


# --- Celery tasks: thin wrappers, on the alarm queue (never behind outbound deliveries) -------------


@shared_task(name="clock.fire_alarm", acks_late=True, ignore_result=True)
def fire_alarm(alarm_id: int, token: str) -> bool:
    return handle(alarm_id, token=token, via="eta")


@shared_task(name="clock.sweep_alarms", ignore_result=True)
def sweep_alarms() -> int:
    return sweep()


@shared_task(name="clock.arm_upcoming_alarms", ignore_result=True)
def arm_upcoming_alarms() -> int:
    return arm_upcoming()
