"""The incident core's clocks: deadlines, tasks and the first-hour report, on the generic alarm
clock (incidents.clock). This module plans their alarms inside the services' transactions and,
registered as three owner types in IncidentsConfig.ready, says what happens when one goes off:
reminders to those who can act, breaches escalated, the first-hour report on the timeline.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from playbooks.models import DeadlineNature

from .clock import alarms as clock
from .clock.models import Alarm, AlarmKind
from .clock.registry import Busy, Gone, OwnerType
from .models import OPEN_STATUSES, Deadline, DeadlineState, EntryKind, Incident, RoleAssignment, Task, TaskState
from .notify import delivery as notify
from .notify import texts
from .timeline import lock_incident, person, record

User = get_user_model()

DEADLINE = "incidents.deadline"
TASK = "incidents.task"
FIRST_HOUR = "incidents.first_hour"  # owner: the incident
FIRST_HOUR_AFTER = timedelta(hours=1)
TOPIC = "incident"


# --- Planning (inside the caller's transaction, under the incident's lock) ---------------------------


def _deadline_alarms(deadline: Deadline, now: datetime) -> list[Alarm]:
    return clock.alarms_for(DEADLINE, deadline.pk, deadline.due_at, leads=deadline.reminder_leads, now=now)


def _task_alarms(task: Task, declared_at: datetime, now: datetime) -> list[Alarm]:
    # No reminder that would fire before the incident was declared: a step due five minutes in
    # gets its breach, not a reminder at the very moment of declaration.
    lead = settings.CRISIS_TASK_REMINDER_MINUTES
    return clock.alarms_for(TASK, task.pk, task.due_at, leads=[lead] if lead else [], now=now, not_before=declared_at)


def plan_deadline(deadline: Deadline) -> None:
    clock.cancel(DEADLINE, deadline.pk)
    if deadline.state == DeadlineState.PENDING:
        clock.schedule(_deadline_alarms(deadline, timezone.now()))


def plan_task(task: Task) -> None:
    clock.cancel(TASK, task.pk)
    if task.state == TaskState.OPEN and task.due_at is not None:
        clock.schedule(_task_alarms(task, task.incident.declared_at, timezone.now()))


def stop_deadline(deadline: Deadline) -> None:
    clock.cancel(DEADLINE, deadline.pk)


def stop_task(task: Task) -> None:
    clock.cancel(TASK, task.pk)


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
    alarms.append(
        Alarm(
            owner_type=FIRST_HOUR,
            owner_id=incident.pk,
            kind=EntryKind.FIRST_HOUR,
            fire_at=incident.declared_at + FIRST_HOUR_AFTER,
        )
    )
    clock.schedule(alarms)


def stop_incident(incident: Incident) -> None:
    """A closed (or stood-down) incident reminds and escalates nobody any more."""
    clock.cancel(DEADLINE, Deadline.objects.filter(incident=incident).values("pk"))
    clock.cancel(TASK, Task.objects.filter(incident=incident).values("pk"))
    clock.cancel(FIRST_HOUR, incident.pk)


# --- What the data says -------------------------------------------------------------------------------


def _owed(key: str, owed: Task | Deadline) -> dict[str, Any]:
    """What tasks and deadlines say alike on the timeline (entries.TaskEntry, entries.DeadlineEntry)."""
    due_at = owed.due_at.isoformat() if owed.due_at else None
    return {key: owed.pk, "title_zh": owed.title_zh, "title_en": owed.title_en, "state": owed.state, "due_at": due_at}


def task_data(task: Task, **extra: Any) -> dict[str, Any]:
    return {**_owed("task", task), "assignee": person(task.assignee), **extra}


def deadline_data(deadline: Deadline, **extra: Any) -> dict[str, Any]:
    return {**_owed("deadline", deadline), "audience": deadline.audience, "nature": deadline.nature, **extra}


def first_hour_report(incident: Incident) -> dict[str, Any]:
    """How many first-hour steps and first-hour deadlines were done in time."""
    end = incident.declared_at + FIRST_HOUR_AFTER
    done_in_time = Q(state=TaskState.DONE, completed_at__lte=end) & (
        Q(due_at__isnull=True) | Q(completed_at__lte=F("due_at"))
    )
    tasks = Task.objects.filter(incident=incident, phase="first_hour").aggregate(
        total=Count("pk"), in_time=Count("pk", filter=done_in_time)
    )
    # Only our own duties count: an authority's clock or a benchmark is not ours to be in time for.
    deadlines = Deadline.objects.filter(incident=incident, due_at__lte=end, nature=DeadlineNature.DUTY).aggregate(
        total=Count("pk"), in_time=Count("pk", filter=Q(state=DeadlineState.MET, met_at__lte=F("due_at")))
    )
    return {
        "tasks_total": tasks["total"],
        "tasks_in_time": tasks["in_time"],
        "deadlines_total": deadlines["total"],
        "deadlines_in_time": deadlines["in_time"],
        "commander_named": incident.commander_id is not None,
    }


# --- Who hears about what -----------------------------------------------------------------------------


def _role_holders(incident: Incident, roles: list[str]) -> set:
    """Active holders of `roles`. The commander is on the incident row already: no query for it."""
    people = {incident.commander} if "commander" in roles and incident.commander is not None else set()
    others = [r for r in roles if r != "commander"]
    if others:
        ids = RoleAssignment.objects.filter(incident=incident, role__in=others, ended_at__isnull=True).values("user")
        people |= set(User.objects.filter(pk__in=ids, is_active=True))
    return people


def _group_members(group_names: list[str]) -> set:
    if not group_names:
        return set()
    return set(User.objects.filter(is_active=True, groups__name__in=group_names).distinct())


_ROLE_TARGETS = ("commander", "spokesperson", "liaison")


def _group_targets() -> dict[str, str]:
    return {"admins": settings.CRISIS_GROUP_ADMINS, "executives": settings.CRISIS_GROUP_EXECUTIVES}


def reminder_recipients(incident: Incident, target: Deadline | Task) -> set:
    """A reminder goes to those who can still act: the commander, the roles the rule names, and
    for a task its assignee (or the holders of its owning role)."""
    targets = target.escalation_targets if isinstance(target, Deadline) else []
    people = _role_holders(incident, [t for t in targets if t in _ROLE_TARGETS])
    if isinstance(target, Task):
        if target.assignee_id:
            people.add(target.assignee)
        else:
            people |= _role_holders(incident, [target.owner_role])
    if incident.commander is not None:
        people.add(incident.commander)
    return {p for p in people if p.is_active}


def breach_recipients(incident: Incident, target: Deadline | Task) -> set:
    """A breach escalates: everyone a reminder reaches, plus the groups the rule escalates to."""
    people = reminder_recipients(incident, target)
    targets = target.escalation_targets if isinstance(target, Deadline) else []
    groups = _group_targets()
    return people | _group_members([groups[t] for t in targets if t in groups])


def _tell(incident: Incident, alarm: Alarm, event: str, data: dict[str, Any], recipients: set) -> None:
    webhook = {
        "event": f"{data['target']}.{'breached' if alarm.kind == AlarmKind.BREACH else 'reminder'}",
        "incident": {"id": incident.pk, "title": incident.title, "kind": incident.kind, "severity": incident.severity},
        "data": {k: v for k, v in data.items() if k != "assignee"},
    }
    notify.send(
        event=event,
        recipients=recipients,
        data={**data, "incident_title": incident.title, "incident_id": incident.pk},
        topic=(TOPIC, incident.pk),
        cause=f"alarm:{alarm.pk}",
        webhook=webhook,
    )


# --- When an alarm goes off ---------------------------------------------------------------------------


def lock_owner_incident(incident_id: int | None, skip_locked: bool) -> Incident:
    """For an owner type whose rows belong to an incident: lock that incident (Gone when the owner
    has none, Busy when the sweep would have to wait for it)."""
    if incident_id is None:
        raise Gone
    incident = lock_incident(incident_id, skip_locked=skip_locked)
    if incident is None:
        raise Busy
    return incident


def _lock_deadline(deadline_id: int, skip_locked: bool) -> tuple[Incident, Deadline]:
    incident_id = Deadline.objects.filter(pk=deadline_id).values_list("incident_id", flat=True).first()
    incident = lock_owner_incident(incident_id, skip_locked)
    return incident, Deadline.objects.get(pk=deadline_id)


def _lock_task(task_id: int, skip_locked: bool) -> tuple[Incident, Task]:
    incident_id = Task.objects.filter(pk=task_id).values_list("incident_id", flat=True).first()
    incident = lock_owner_incident(incident_id, skip_locked)
    return incident, Task.objects.select_related("assignee").get(pk=task_id)


def _lock_first_hour(incident_id: int, skip_locked: bool) -> Incident:
    exists = Incident.objects.filter(pk=incident_id).exists()
    return lock_owner_incident(incident_id if exists else None, skip_locked)


def _remind_or_escalate(incident: Incident, target: Deadline | Task, data: dict[str, Any], alarm: Alarm) -> None:
    """What a deadline's and a task's alarms do alike: a reminder to those who can act, or a
    breach on the timeline escalated to the rule's targets."""
    if alarm.kind == AlarmKind.REMINDER:
        data["lead_minutes"] = alarm.lead_minutes
        record(incident, EntryKind.REMINDER, data=data)
        _tell(incident, alarm, "deadline_reminder", data, reminder_recipients(incident, target))
        return
    data["late_seconds"] = round((alarm.handled_at - alarm.fire_at).total_seconds(), 3)
    record(incident, EntryKind.BREACH, data=data)
    _tell(incident, alarm, "deadline_breached", data, breach_recipients(incident, target))


def _act_on_deadline(context: tuple[Incident, Deadline], alarm: Alarm) -> None:
    incident, deadline = context
    if incident.status not in OPEN_STATUSES or deadline.state != DeadlineState.PENDING:
        return
    data = deadline_data(deadline, alarm=alarm.pk, target="deadline")
    if deadline.nature != DeadlineNature.DUTY:
        _another_clock(incident, deadline, data, alarm)
        return
    if alarm.kind == AlarmKind.BREACH:
        deadline.state = DeadlineState.BREACHED
        deadline.breached_at = alarm.handled_at
        deadline.save(update_fields=["state", "breached_at"])
        data["state"] = deadline.state
    _remind_or_escalate(incident, deadline, data, alarm)


# What the moment means for a clock that is not our duty (DEADLINES.md: whose clock is it).
_WHEN_DUE = {
    DeadlineNature.EXPECT: "expected",  # the authority's limit has come: chase it, or prepare for it
    DeadlineNature.GUIDE: "benchmark",  # a benchmark or practice time has come: a suggestion
    DeadlineNature.WATCH: "window_closed",  # the window in which each change was reported has ended
}


def _another_clock(incident: Incident, deadline: Deadline, data: dict[str, Any], alarm: Alarm) -> None:
    """The authority's clock, a watch window or a benchmark: it reminds the commander, it never
    breaches and never escalates. A watch window, when it ends, is closed (met) by itself."""
    if alarm.kind == AlarmKind.REMINDER:
        data["lead_minutes"] = alarm.lead_minutes
        record(incident, EntryKind.REMINDER, data=data)
        _tell(incident, alarm, "deadline_reminder", data, reminder_recipients(incident, deadline))
        return
    if deadline.nature == DeadlineNature.WATCH:
        deadline.state = DeadlineState.MET
        deadline.met_at = alarm.handled_at
        deadline.evidence = "window closed"
        deadline.save(update_fields=["state", "met_at", "evidence"])
        record(incident, EntryKind.DEADLINE, data=deadline_data(deadline, change=_WHEN_DUE[deadline.nature]))
        return
    record(incident, EntryKind.DEADLINE, data=deadline_data(deadline, change=_WHEN_DUE[deadline.nature]))
    _tell(incident, alarm, "deadline_reminder", {**data, "due_now": True}, reminder_recipients(incident, deadline))


def _act_on_task(context: tuple[Incident, Task], alarm: Alarm) -> None:
    incident, task = context
    if incident.status in OPEN_STATUSES and task.state == TaskState.OPEN:
        _remind_or_escalate(incident, task, task_data(task, alarm=alarm.pk, target="task"), alarm)


def _act_on_first_hour(incident: Incident, alarm: Alarm) -> None:
    if incident.status in OPEN_STATUSES:
        record(incident, EntryKind.FIRST_HOUR, data=first_hour_report(incident))


OWNER_TYPES = (
    OwnerType(DEADLINE, _lock_deadline, _act_on_deadline, label=gettext_lazy("incident deadline")),
    OwnerType(TASK, _lock_task, _act_on_task, label=gettext_lazy("checklist task")),
    OwnerType(
        FIRST_HOUR,
        _lock_first_hour,
        _act_on_first_hour,
        label=gettext_lazy("an incident's first hour"),
        kinds=((EntryKind.FIRST_HOUR, gettext_lazy("first-hour report")),),
    ),
)


# --- What the notifications say -----------------------------------------------------------------------


def _values(data: dict[str, Any]) -> dict[str, Any]:
    zh = (get_language() or "").startswith("zh")
    title = (data.get("title_zh") if zh else data.get("title_en")) or data.get("title_en") or data.get("title_zh") or ""
    due = timezone.localtime(datetime.fromisoformat(data["due_at"])) if data.get("due_at") else None
    return {
        "title": title,
        "due": due.strftime("%Y-%m-%d %H:%M") if due else "",
        "incident": f"#{data.get('incident_id')} {data.get('incident_title', '')}",
        "lead": data.get("lead_minutes") or "",
    }


REMINDER_TEXTS = (
    gettext_lazy("Reminder: “%(title)s” is due at %(due)s (%(incident)s)"),
    gettext_lazy("“%(title)s” is due at %(due)s, in %(lead)s minutes. Incident: %(incident)s."),
)
# Another's clock (an authority's limit, a benchmark) reminds, and never says "missed".
THEIR_CLOCK_TEXTS = (
    gettext_lazy("Expected by %(due)s: “%(title)s” (%(incident)s)"),
    gettext_lazy(
        "“%(title)s” is expected by %(due)s. This is not our deadline: prepare for it, or chase it "
        "when it passes. Incident: %(incident)s."
    ),
)
BREACH_TEXTS = (
    gettext_lazy("Missed: “%(title)s” was due at %(due)s (%(incident)s)"),
    gettext_lazy("“%(title)s” was due at %(due)s and is not done. This is an escalation. Incident: %(incident)s."),
)


def register_texts() -> None:
    texts.register_deadline_texts(TOPIC, _values, reminder=REMINDER_TEXTS, breach=BREACH_TEXTS)
    ours = texts.formatted(*REMINDER_TEXTS, _values)
    theirs = texts.formatted(*THEIR_CLOCK_TEXTS, _values)
    texts.register(
        TOPIC,
        "deadline_reminder",
        lambda data: ours(data) if data.get("nature", DeadlineNature.DUTY) == DeadlineNature.DUTY else theirs(data),
    )
