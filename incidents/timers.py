"""Deadline timers: reminders, breaches and the first-hour report — exactly once, never lost.

How it works:
- Planning: whenever a deadline or task is created, moved, met or dropped, its Alarm rows are
  (re)written in the same transaction (`plan_deadline`, `plan_task`, `cancel`).
- Arming: alarms due within the horizon (minutes, far below the Redis transport's visibility
  timeout) get an ETA Celery message after commit. Alarms further out are armed later by the
  periodic `arm_upcoming`, so no message ever waits days in the broker.
- Handling: `handle` locks the incident, then the alarm, and acts only if the alarm is neither
  handled nor cancelled and the ETA message's token matches; it records the handling in the same
  transaction as the effect. The ETA task and the sweep can race: one acts, the other finds the
  alarm handled.
- Sweeping: the periodic `sweep` handles every pending alarm whose time has come, so a lost
  worker, a purged queue or a restarted broker delays an alarm by at most one sweep interval.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from . import notify
from .models import (
    OPEN_STATUSES,
    Alarm,
    AlarmKind,
    Deadline,
    DeadlineState,
    EntryKind,
    Incident,
    Task,
    TaskState,
)

log = logging.getLogger(__name__)

FIRST_HOUR = timedelta(hours=1)


def horizon() -> timedelta:
    return timedelta(seconds=settings.CRISIS_TIMER_HORIZON_SECONDS)


# --- Planning (inside the caller's transaction) -----------------------------------------------------


def _reminder_times(due_at, leads: list[int], now) -> list[tuple[int, Any]]:
    """Reminders still ahead; when all of them have passed but the deadline has not, one now."""
    if due_at <= now:
        return []
    ahead = [(lead, due_at - timedelta(minutes=lead)) for lead in sorted(set(leads), reverse=True)]
    upcoming = [(lead, at) for lead, at in ahead if at > now]
    if ahead and not upcoming:
        return [(min(leads), now)]
    return upcoming


def _create(alarms: list[Alarm]) -> None:
    if not alarms:
        return
    now = timezone.now()
    soon = now + horizon()
    for alarm in alarms:
        if alarm.fire_at <= soon:
            alarm.armed_at = now
    created = Alarm.objects.bulk_create(alarms)
    to_send = [(a.pk, str(a.token), a.fire_at, a.incident_id) for a in created if a.armed_at is not None]
    if to_send:
        transaction.on_commit(lambda: _send(to_send))


def cancel(**target: Any) -> int:
    """Cancel the pending alarms of a deadline, task or incident (e.g. deadline=d)."""
    return Alarm.objects.pending().filter(**target).update(cancelled_at=timezone.now())


def _deadline_alarms(deadline: Deadline, now) -> list[Alarm]:
    alarms = [
        Alarm(
            incident_id=deadline.incident_id, deadline=deadline, kind=AlarmKind.REMINDER, lead_minutes=lead, fire_at=at
        )
        for lead, at in _reminder_times(deadline.due_at, deadline.reminder_leads, now)
    ]
    alarms.append(
        Alarm(incident_id=deadline.incident_id, deadline=deadline, kind=AlarmKind.BREACH, fire_at=deadline.due_at)
    )
    return alarms


def _task_alarms(task: Task, declared_at, now) -> list[Alarm]:
    lead = settings.CRISIS_TASK_REMINDER_MINUTES
    alarms = [
        Alarm(incident_id=task.incident_id, task=task, kind=AlarmKind.REMINDER, lead_minutes=lead, fire_at=at)
        for lead, at in _reminder_times(task.due_at, [lead] if lead else [], now)
        if task.due_at - timedelta(minutes=lead) > declared_at
    ]
    alarms.append(Alarm(incident_id=task.incident_id, task=task, kind=AlarmKind.BREACH, fire_at=task.due_at))
    return alarms


def plan_deadline(deadline: Deadline) -> None:
    cancel(deadline=deadline)
    if deadline.state == DeadlineState.PENDING:
        _create(_deadline_alarms(deadline, timezone.now()))


def plan_task(task: Task) -> None:
    cancel(task=task)
    if task.state == TaskState.OPEN and task.due_at is not None:
        _create(_task_alarms(task, task.incident.declared_at, timezone.now()))


def _complaint_alarms(deadline, now) -> list[Alarm]:
    lead = (
        settings.CRISIS_COMPLAINT_REPLY_REMINDER_MINUTES
        if deadline.kind == "reply"
        else settings.CRISIS_COMPLAINT_REMINDER_MINUTES
    )
    alarms = [
        Alarm(complaint_deadline=deadline, kind=AlarmKind.REMINDER, lead_minutes=lead, fire_at=at)
        for lead, at in _reminder_times(deadline.due_at, [lead] if lead else [], now)
    ]
    alarms.append(Alarm(complaint_deadline=deadline, kind=AlarmKind.BREACH, fire_at=deadline.due_at))
    return alarms


def plan_complaint_deadline(deadline) -> None:
    """Alarms for a complaint's time limit (acknowledge, resolve, follow up, reply to the customer)."""
    cancel(complaint_deadline=deadline)
    if deadline.state != "pending":
        return
    _create(_complaint_alarms(deadline, timezone.now()))


def plan_new_complaint_deadlines(deadlines: list) -> None:
    """Alarms for time limits created just now: they have none to cancel yet."""
    now = timezone.now()
    _create([alarm for deadline in deadlines for alarm in _complaint_alarms(deadline, now)])


def plan_incident(incident: Incident) -> None:
    """Alarms for a newly declared incident: its deadlines, its tasks and the first-hour report.

    A new incident has no alarms to cancel, so they are all written in one statement: an
    escalation rule declares incidents inside a complaint's intake, where every query counts."""
    now = timezone.now()
    alarms = [
        alarm
        for deadline in Deadline.objects.filter(incident=incident, state=DeadlineState.PENDING)
        for alarm in _deadline_alarms(deadline, now)
    ]
    alarms += [
        alarm
        for task in Task.objects.filter(incident=incident, state=TaskState.OPEN, due_at__isnull=False)
        for alarm in _task_alarms(task, incident.declared_at, now)
    ]
    alarms.append(Alarm(incident=incident, kind=AlarmKind.FIRST_HOUR, fire_at=incident.declared_at + FIRST_HOUR))
    _create(alarms)


# --- Arming ----------------------------------------------------------------------------------------


def _send(alarms: list[tuple[int, str, Any, int]]) -> None:
    from .tasks import fire_alarm

    for alarm_id, token, fire_at, incident_id in alarms:
        try:
            fire_alarm.apply_async(args=[alarm_id, token, incident_id], eta=fire_at)
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
            .values_list("pk", "token", "fire_at", "incident_id")[:1000]
        )
        Alarm.objects.filter(pk__in=[row[0] for row in due_soon]).update(armed_at=now)
        to_send = [(pk, str(token), fire_at, incident_id) for pk, token, fire_at, incident_id in due_soon]
        transaction.on_commit(lambda: _send(to_send))
    return len(to_send)


# --- Handling --------------------------------------------------------------------------------------


def handle(alarm_id: int, *, token: str | None, via: str, incident_id: int | None = None) -> bool:
    """Act on an alarm if, and only if, it still applies. True when this call acted.

    Locks the incident first (the order every writer uses), then the alarm; the token of an ETA
    message must match the alarm's, so a message for a cancelled or replaced alarm does nothing.
    """
    from . import services  # services imports timers; import here to keep the cycle out of import time

    if incident_id is None:
        row = Alarm.objects.filter(pk=alarm_id).values_list("incident_id", "complaint_deadline__complaint_id").first()
        if row is None:
            return False
        incident_id, complaint_id = row
        if incident_id is None:
            from .complaints import services as complaint_services

            return complaint_services.handle_alarm(alarm_id, token=token, via=via, complaint_id=complaint_id)
    with transaction.atomic():
        # The sweep does not queue behind a handler that already holds the incident (most likely
        # an ETA task acting on this very alarm): it skips it this round and looks again next time.
        incident = services.lock_incident(incident_id, skip_locked=via == "sweep")
        if incident is None:
            return False
        owned = Alarm.objects.filter(pk=alarm_id, incident_id=incident_id)
        alarm = claim(owned.select_related("deadline", "task", "task__assignee"), token=token, via=via)
        if alarm is None:
            return False
        if incident.status in OPEN_STATUSES:
            _act(incident, alarm)
    return True


def claim(alarms, *, token: str | None, via: str) -> Alarm | None:
    """Lock the one alarm in `alarms` and mark it handled, if it still applies: not handled, not
    cancelled, and (for an ETA message) the token current. The caller holds its owner's lock."""
    alarm = alarms.select_for_update(of=("self",)).first()
    if alarm is None or (token is not None and str(alarm.token) != str(token)):
        return None
    if alarm.handled_at is not None or alarm.cancelled_at is not None:
        return None
    alarm.handled_at = timezone.now()
    alarm.handled_via = via
    alarm.save(update_fields=["handled_at", "handled_via"])
    return alarm


def _act(incident: Incident, alarm: Alarm) -> None:
    from . import services

    if alarm.kind == AlarmKind.FIRST_HOUR:
        report = first_hour_report(incident)
        services.record(incident, EntryKind.FIRST_HOUR, data=report)
        return
    target = alarm.deadline or alarm.task
    if alarm.deadline is not None:
        if alarm.deadline.state != DeadlineState.PENDING:
            return
        data = services.deadline_data(alarm.deadline)
    else:
        if alarm.task.state != TaskState.OPEN:
            return
        data = services.task_data(alarm.task)
    data["alarm"] = alarm.pk
    data["target"] = "deadline" if alarm.deadline_id else "task"
    if alarm.kind == AlarmKind.REMINDER:
        data["lead_minutes"] = alarm.lead_minutes
        services.record(incident, EntryKind.REMINDER, data=data)
        notify.alarm_raised(incident, alarm, target, data, recipients=notify.reminder_recipients(incident, target))
        return
    now = alarm.handled_at
    if alarm.deadline is not None:
        alarm.deadline.state = DeadlineState.BREACHED
        alarm.deadline.breached_at = now
        alarm.deadline.save(update_fields=["state", "breached_at"])
        data["state"] = DeadlineState.BREACHED
    data["late_seconds"] = round((now - alarm.fire_at).total_seconds(), 3)
    services.record(incident, EntryKind.BREACH, data=data)
    notify.alarm_raised(incident, alarm, target, data, recipients=notify.breach_recipients(incident, target))


def first_hour_report(incident: Incident) -> dict[str, Any]:
    """How many first-hour steps and first-hour deadlines were done in time."""
    end = incident.declared_at + FIRST_HOUR
    done_in_time = Q(state=TaskState.DONE, completed_at__lte=end) & (
        Q(due_at__isnull=True) | Q(completed_at__lte=F("due_at"))
    )
    tasks = Task.objects.filter(incident=incident, phase="first_hour").aggregate(
        total=Count("pk"), in_time=Count("pk", filter=done_in_time)
    )
    deadlines = Deadline.objects.filter(incident=incident, due_at__lte=end).aggregate(
        total=Count("pk"), in_time=Count("pk", filter=Q(state=DeadlineState.MET, met_at__lte=F("due_at")))
    )
    return {
        "tasks_total": tasks["total"],
        "tasks_in_time": tasks["in_time"],
        "deadlines_total": deadlines["total"],
        "deadlines_in_time": deadlines["in_time"],
        "commander_named": incident.commander_id is not None,
    }


def sweep(limit: int = 500) -> int:
    """Handle every pending alarm whose time has come. Returns how many this call acted on."""
    now = timezone.now()
    due = list(
        Alarm.objects.pending().filter(fire_at__lte=now).order_by("fire_at").values_list("pk", "incident_id")[:limit]
    )
    acted = 0
    for alarm_id, incident_id in due:
        try:
            acted += handle(alarm_id, token=None, via="sweep", incident_id=incident_id)
        except Exception:  # one bad alarm must not stop the others
            log.exception("Sweep could not handle alarm %s", alarm_id)
    return acted
