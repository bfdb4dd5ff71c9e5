"""A complaint's time limits and the escalation ladder, on the generic alarm clock.

Time limits are ComplaintDeadline rows with alarms (incidents.clock): the database is the truth,
Celery the alarm clock. The limits come from the complaint's time-limit profile (the one in force
when it came in; admins edit them), counted in working or calendar days as that profile says.
A missed acknowledgement or resolution climbs the ladder: the rung above is told and starts its
own limits. Registered as the owner type "complaints.deadline" in ComplaintsConfig.ready.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..clock import alarms as clock
from ..clock import workdays
from ..clock.models import Alarm, AlarmKind
from ..clock.registry import Busy, Gone, OwnerType
from ..notify import delivery as notify
from ..notify import texts
from . import access, alerts, journal
from .models import (
    TOP_INTERNAL_LEVEL,
    Complaint,
    ComplaintDeadline,
    ComplaintDeadlineKind,
    ComplaintDeadlineState,
    ComplaintEventKind,
    Level,
    TimeLimitProfile,
)

OWNER = "complaints.deadline"
TOPIC = "complaint"


def lock(complaint_id: int, *, skip_locked: bool = False) -> Complaint | None:
    """Lock the complaint's row: every writer of a complaint takes this lock first."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Lock complaints inside transaction.atomic().")
    locked = Complaint.objects.select_for_update(of=("self",), skip_locked=skip_locked)
    return locked.filter(pk=complaint_id).first() if skip_locked else locked.get(pk=complaint_id)


# --- Time limits ---------------------------------------------------------------------------------------


def limits_for(complaint: Complaint) -> TimeLimitProfile:
    """The profile the complaint is held to: its own, or (when an admin deleted it, or the complaint
    predates profiles) the one in force."""
    if complaint.time_limits_id is not None:
        profile = complaint.time_limits
        if profile is not None:
            return profile
    return TimeLimitProfile.current()


def add_days(start: datetime, count: int, limits: TimeLimitProfile, calendar=None) -> datetime:
    """The moment by which something "within `count` days" of `start` is due, in the profile's
    days: the close of business on the count-th working (or calendar) day after the day of `start`."""
    if limits.counts_working_days:
        return workdays.add_working_days(start, count, calendar)
    day = timezone.localtime(start).date() + timedelta(days=count)
    _, close = workdays.business_hours()
    return timezone.make_aware(datetime.combine(day, close), timezone.get_current_timezone())


def _calendar(start: datetime, count: int, limits: TimeLimitProfile):
    return workdays.calendar_for(start, count) if limits.counts_working_days else None


def _alarms(deadline: ComplaintDeadline, limits: TimeLimitProfile, now: datetime) -> list[Alarm]:
    lead = limits.reply_reminder_minutes if deadline.kind == ComplaintDeadlineKind.REPLY else limits.reminder_minutes
    return clock.alarms_for(OWNER, deadline.pk, deadline.due_at, leads=[lead] if lead else [], now=now)


def new_deadline(
    complaint: Complaint, kind: str, due_at: datetime, limits: TimeLimitProfile | None = None
) -> ComplaintDeadline:
    deadline = ComplaintDeadline.objects.create(complaint=complaint, level=complaint.level, kind=kind, due_at=due_at)
    clock.schedule(_alarms(deadline, limits or limits_for(complaint), timezone.now()))
    return deadline


def follow_up_due(complaint: Complaint) -> datetime:
    return complaint.implemented_at + timedelta(days=limits_for(complaint).follow_up_days)


def plan_deadline(deadline: ComplaintDeadline, limits: TimeLimitProfile | None = None) -> None:
    """Replan a time limit's alarms after its due time changed (an extension, an admin's correction)."""
    clock.cancel(OWNER, deadline.pk)
    if deadline.state == ComplaintDeadlineState.PENDING:
        clock.schedule(_alarms(deadline, limits or limits_for(deadline.complaint), timezone.now()))


def extension_end(complaint: Complaint, limits: TimeLimitProfile, days: int) -> datetime:
    """The latest a resolution may be extended to: `days` of the profile's days from receipt."""
    return add_days(complaint.received_at, days, limits)


def stop_clocks(complaint: Complaint, kinds: list[str], *, state: str) -> list[ComplaintDeadline]:
    pending = list(
        ComplaintDeadline.objects.filter(complaint=complaint, kind__in=kinds, state=ComplaintDeadlineState.PENDING)
    )
    now = timezone.now()
    for deadline in pending:
        deadline.state = state
        deadline.met_at = now if state == ComplaintDeadlineState.MET else None
        deadline.save(update_fields=["state", "met_at"])
    if pending:
        clock.cancel(OWNER, [d.pk for d in pending])
    return pending


def stop_deadline(deadline_id: int) -> None:
    clock.cancel(OWNER, deadline_id)


def start_level(complaint: Complaint, *, start: datetime, limits: TimeLimitProfile | None = None) -> None:
    """The acknowledgement and resolution limits of the complaint's rung, counted from `start` in
    the working or calendar days of the complaint's profile."""
    if complaint.level > TOP_INTERNAL_LEVEL:
        return  # the outside body runs its own procedure and clock
    # One calendar query, both clocks in one insert and their alarms in another: this runs for
    # every complaint taken in.
    limits = limits or limits_for(complaint)
    acknowledge_days = limits.acknowledge_days(complaint.level)
    resolve_days = limits.resolve_days(complaint.level, complaint.complexity)
    calendar = _calendar(start, max(acknowledge_days, resolve_days), limits)
    deadlines = ComplaintDeadline.objects.bulk_create(
        [
            ComplaintDeadline(complaint=complaint, level=complaint.level, kind=kind, due_at=due_at)
            for kind, due_at in (
                (ComplaintDeadlineKind.ACKNOWLEDGE, add_days(start, acknowledge_days, limits, calendar)),
                (ComplaintDeadlineKind.RESOLVE, add_days(start, resolve_days, limits, calendar)),
            )
        ]
    )
    now = timezone.now()
    clock.schedule([alarm for deadline in deadlines for alarm in _alarms(deadline, limits, now)])


# --- The ladder ------------------------------------------------------------------------------------


def climb(complaint: Complaint, *, by, reason: str, cause: str, outside_body: str = "") -> None:
    """Move the complaint one rung up the ladder; the new rung acknowledges and resolves afresh."""
    before = complaint.level
    stop_clocks(
        complaint,
        [ComplaintDeadlineKind.ACKNOWLEDGE, ComplaintDeadlineKind.RESOLVE, ComplaintDeadlineKind.FOLLOW_UP],
        state=ComplaintDeadlineState.CANCELLED,
    )
    # The offer made below is what the customer disputed (or what ran out of time): it stays in the
    # escalation event as history, and the level above starts from the facts, not from that offer.
    superseded = {
        "solution": complaint.solution,
        "options": complaint.options,
        "compensation": str(complaint.compensation) if complaint.compensation is not None else None,
    }
    complaint.level = min(before + 1, Level.OUTSIDE_BODY)
    if outside_body:
        complaint.outside_body = outside_body
    complaint.climb()
    complaint.handler = None
    complaint.solution = complaint.options = ""
    complaint.compensation = None
    complaint.approval_needed = False
    complaint.approved_by = None
    complaint.approved_at = None
    complaint.save()
    journal.log(
        complaint,
        ComplaintEventKind.ESCALATED,
        actor=by,
        text=reason,
        data={
            "from": before,
            "to": complaint.level,
            "cause": cause,
            "outside_body": complaint.outside_body,
            **({"superseded": superseded} if any(superseded.values()) else {}),
        },
    )
    start_level(complaint, start=timezone.now())
    journal.on_incident(complaint, "escalated", actor=by, cause=cause)
    alerts.escalated(complaint, by=by, cause=cause)


# --- When an alarm goes off ------------------------------------------------------------------------


def deadline_data(deadline: ComplaintDeadline, complaint: Complaint) -> dict[str, Any]:
    return {
        "target": "complaint",
        "complaint": complaint.pk,
        "deadline": deadline.pk,
        "kind": deadline.kind,
        "level": deadline.level,
        "project": complaint.project,
        "due_at": deadline.due_at.isoformat(),
    }


def _lock_owner(deadline_id: int, skip_locked: bool) -> tuple[Complaint, ComplaintDeadline]:
    complaint_id = ComplaintDeadline.objects.filter(pk=deadline_id).values_list("complaint_id", flat=True).first()
    if complaint_id is None:
        raise Gone
    complaint = lock(complaint_id, skip_locked=skip_locked)
    if complaint is None:
        raise Busy
    return complaint, ComplaintDeadline.objects.get(pk=deadline_id)


def _tell(complaint: Complaint, alarm: Alarm, event: str, data: dict[str, Any], people: set) -> None:
    webhook = {
        "event": f"complaint.{'breached' if alarm.kind == AlarmKind.BREACH else 'reminder'}",
        "incident": None,
        "data": data,
    }
    notify.send(
        event=event,
        recipients=people,
        data=data,
        topic=(TOPIC, complaint.pk),
        cause=f"alarm:{alarm.pk}",
        webhook=webhook,
    )


def _act(context: tuple[Complaint, ComplaintDeadline], alarm: Alarm) -> None:
    complaint, deadline = context
    if deadline.state != ComplaintDeadlineState.PENDING or not complaint.is_open:
        return
    data = deadline_data(deadline, complaint)
    data["alarm"] = alarm.pk
    people = set(access.members_at(complaint.level))
    if complaint.handler is not None and complaint.handler.is_active:
        people.add(complaint.handler)
    if alarm.kind == AlarmKind.REMINDER:
        data["lead_minutes"] = alarm.lead_minutes
        journal.log(complaint, ComplaintEventKind.REMINDER, data=data)
        _tell(complaint, alarm, "deadline_reminder", data, people)
        return
    deadline.state = ComplaintDeadlineState.BREACHED
    deadline.breached_at = alarm.handled_at
    deadline.save(update_fields=["state", "breached_at"])
    data["late_seconds"] = round((alarm.handled_at - alarm.fire_at).total_seconds(), 3)
    journal.log(complaint, ComplaintEventKind.BREACH, data=data)
    climbs = (
        deadline.kind in (ComplaintDeadlineKind.ACKNOWLEDGE, ComplaintDeadlineKind.RESOLVE)
        and complaint.level < TOP_INTERNAL_LEVEL
    )
    if climbs:  # the new rung is told by the climb (complaint_escalated)
        climb(complaint, by=None, reason="", cause=f"breach:{deadline.kind}")
    data["now_level"] = complaint.level
    _tell(complaint, alarm, "deadline_breached", data, people)


OWNER_TYPE = OwnerType(OWNER, _lock_owner, _act, label=gettext_lazy("complaint time limit"))


# --- What the notifications say -----------------------------------------------------------------------


def _values(data: dict[str, Any]) -> dict[str, Any]:
    due = timezone.localtime(datetime.fromisoformat(data["due_at"]))
    return {
        "id": data["complaint"],
        "title": ComplaintDeadlineKind(data["kind"]).label,
        "due": due.strftime("%Y-%m-%d %H:%M"),
        "level": Level(data["level"]).label,
        "now_level": Level(data.get("now_level", data["level"])).label,
        "project": data.get("project") or "—",
    }


REMINDER_TEXTS = (
    gettext_lazy("Complaint #%(id)s: “%(title)s” is due at %(due)s"),
    gettext_lazy("Complaint #%(id)s (%(project)s, %(level)s): “%(title)s” is due at %(due)s."),
)
BREACH_TEXTS = (
    gettext_lazy("Complaint #%(id)s: “%(title)s” was due at %(due)s and is missed"),
    gettext_lazy(
        "Complaint #%(id)s (%(project)s): “%(title)s” was due at %(due)s and is missed. It now lies with %(now_level)s."
    ),
)


def register_texts() -> None:
    texts.register_deadline_texts(TOPIC, _values, reminder=REMINDER_TEXTS, breach=BREACH_TEXTS)
