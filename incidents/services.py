"""The only writers of incidents, roles and the timeline.

Every function here checks permission, validates, changes the database in one transaction,
appends to the incident's timeline under the incident's row lock (so sequence numbers are
gapless) and announces each entry on commit through `incidents.events`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from config import dates
from config.errors import RuleBroken
from config.text import clean_text, text_error
from playbooks import services as playbook_services
from playbooks.models import (
    DEFAULT_UPDATE_EVERY,
    ONLY_DUTIES_ESCALATE,
    Audience,
    AutoComplete,
    ClockStart,
    CrisisKind,
    DeadlineNature,
    DrillScript,
    EscalationTarget,
    PlaybookVersion,
    Unit,
    VersionState,
)

from . import alarms, alerts, drills, paging, permissions, policy
from .alarms import deadline_data, task_data
from .clock import workdays
from .models import (
    SINGLE_HOLDER_ROLES,
    TRANSITION_NAMES,
    Deadline,
    DeadlineState,
    EntryKind,
    Incident,
    ReportChannel,
    Role,
    RoleAssignment,
    Severity,
    Status,
    Task,
    TaskState,
    TimelineEntry,
)
from .timeline import describe, display_name, lock_incident, person, record

User = get_user_model()

MAX_TEXT = 10_000
# A little clock skew between a reporter's device and the server is normal; a detection time
# further in the future than this is a typo.
DETECTION_SKEW = timedelta(minutes=5)


# --- Reading -------------------------------------------------------------------------------------


def get_visible_incident(incident_id: int, user) -> Incident:
    """The incident, if `user` may see it. A restricted incident is 'not found' to outsiders."""
    incident = Incident.objects.select_related("commander", "spokesperson").get(pk=incident_id)
    if not permissions.may_view(user, incident):
        raise Incident.DoesNotExist
    return incident


def allowed_transitions(incident: Incident, user) -> list[str]:
    return [t.name for t in incident.get_available_user_status_transitions(user)]


def transition_labels() -> dict[str, str]:
    return {t.name: str(t.custom.get("label", t.name)) for t in Incident().get_all_status_transitions()}


def _clean_text(value: Any, field: str, *, required: bool, max_length: int = MAX_TEXT) -> str:
    return clean_text(value, field, required=required, max_length=max_length)


def _locked(incident_id: int, by, missing: type[Exception] = Incident.DoesNotExist) -> Incident:
    """Lock the incident for this transaction; to someone who may not see it, it does not exist
    (`missing` names what the caller asked for: the incident, or a task or deadline of it)."""
    incident = lock_incident(incident_id)
    if not permissions.may_view(by, incident):
        raise missing
    return incident


def _pending(deadline: Deadline) -> Deadline:
    if deadline.state != DeadlineState.PENDING:
        raise RuleBroken(
            _("This deadline is already %(state)s.") % {"state": deadline.get_state_display()}, state=deadline.state
        )
    return deadline


def moment_error(value: datetime | None) -> str | None:
    """Why a moment someone gave is not acceptable (missing, without a zone, out of range)."""
    if value is None or timezone.is_naive(value):
        return _("Give a date and time with its time zone.")
    return dates.range_error(value)


def _cannot_command(user) -> str:
    return _("%(name)s may not command incidents.") % {"name": display_name(user)}


def require_open(incident: Incident) -> None:
    """Closed and stood-down incidents are history: nothing more is done in them."""
    if not incident.is_open:
        raise RuleBroken(_("The incident is %(status)s.") % {"status": incident.get_status_display()})


# --- Declaring -------------------------------------------------------------------------------------


def declare_incident(
    *,
    by,
    kind: str,
    severity: int,
    title: str,
    summary: str = "",
    location: str = "",
    detected_at: datetime | None = None,
    restricted: bool = False,
    exercise: bool = False,
    commander=None,
    playbook_version: PlaybookVersion | None = None,
    trigger: dict[str, Any] | None = None,
    triage: bool = False,
    drill_script: DrillScript | None = None,
) -> Incident:
    """Declare an incident: its clock starts now. It pins the published playbook version for its
    kind (or the one given), whose steps become tasks and whose rules become deadlines. Optionally
    name its commander at once.

    `trigger` describes an escalation rule that declares the incident on `by`'s behalf (a complaint
    logged by anyone may open one): the admins who wrote the rule authorised it.

    `triage` opens it on a signal that something *may* have happened (a complaint about a risk of
    injury, a journalist asking): the playbook is pinned but nothing of it runs — no task, no
    deadline, no statutory clock, no first-hour report — until the commander confirms it
    (confirm_incident) or stands it down.

    `drill_script` (an exercise only) copies the script's injects, which reach the war room on time."""
    if trigger is None:
        policy.DECLARE.check(by)
    now = timezone.now()
    errors: dict[str, str] = {}
    if kind not in CrisisKind.values:
        errors["kind"] = _("Unknown kind of crisis.")
    if severity not in Severity.values:
        errors["severity"] = _("Severity must be 1 (most severe) to 4.")
    try:
        title = _clean_text(title, "title", required=True, max_length=200)
        summary = _clean_text(summary, "summary", required=False)
        location = _clean_text(location, "location", required=False, max_length=200)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if detected_at is None:
        detected_at = now
    elif detected_at > now + DETECTION_SKEW:
        errors["detected_at"] = _("The detection time cannot be in the future.")
    elif error := moment_error(detected_at):
        errors["detected_at"] = error
    if commander is not None and not permissions.may_command(commander):
        errors["commander"] = _cannot_command(commander)
    if playbook_version is None and kind in CrisisKind.values:
        playbook_version = playbook_services.published_for_kind(kind)
    elif playbook_version is not None and playbook_version.state != VersionState.PUBLISHED:
        errors["playbook_version"] = _("Only a published playbook version can be used.")
    errors.update(drills.script_errors(drill_script, kind=kind, exercise=bool(exercise)))
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        incident = Incident.objects.create(
            kind=kind,
            severity=severity,
            title=title,
            summary=summary,
            location=location,
            restricted=bool(restricted),
            exercise=bool(exercise),
            drill_script=drill_script,
            reported_by=by,
            detected_at=detected_at,
            declared_at=now,
            playbook_version=playbook_version,
            status=Status.TRIAGE if triage else Status.REPORTED,
        )
        incident = lock_incident(incident.pk)
        playbook = None if triage else _start_playbook(incident)
        record(
            incident,
            EntryKind.DECLARED,
            actor=by,
            text=summary,
            data={
                "title": title,
                "kind": kind,
                "severity": severity,
                "location": location,
                "playbook": playbook,
                **({"trigger": trigger} if trigger else {}),
                **({"triage": True} if triage else {}),
                **({"drill_script": {"id": drill_script.pk, "name": drill_script.name}} if drill_script else {}),
            },
        )
        if drill_script is not None:
            drills.start(incident, drill_script)
        if commander is not None:
            _take_command(incident, by=by, to=commander, briefing="")
        paging.incident_declared(incident, by=by)
    return incident


def _start_playbook(incident: Incident) -> dict[str, Any] | None:
    """The pinned playbook's steps become tasks and its rules deadlines; their alarms and the
    first-hour report are planned. What the timeline says of it (None without a playbook)."""
    version = incident.playbook_version
    tasks, deadlines = _run_playbook(incident) if version else (0, 0)
    alarms.plan_incident(incident)
    if version is None:
        return None
    return {
        "id": version.pk,
        "slug": version.playbook.slug,
        "version": version.number,
        "name_zh": version.playbook.name_zh,
        "name_en": version.playbook.name_en,
        "tasks": tasks,
        "deadlines": deadlines,
    }


def confirm_incident(
    incident_id: int, *, by, learned_at: datetime | None = None, severity: int | None = None, note: str = ""
) -> Incident:
    """Triage ends: it happened. The moment the company learned of it (which may be when the
    complaint was received — the default) becomes the detection time, from which statutory
    clocks such as the one-hour report run; the crisis is declared now, and the pinned playbook's
    tasks and deadlines start. The severity is confirmed or corrected."""
    note = _clean_text(note, "note", required=False)
    errors: dict[str, str] = {}
    if severity is not None and severity not in Severity.values:
        errors["severity"] = _("Severity must be 1 (most severe) to 4.")
    now = timezone.now()
    if learned_at is not None:
        if error := moment_error(learned_at):
            errors["learned_at"] = error
        elif learned_at > now + DETECTION_SKEW:
            errors["learned_at"] = _("The company cannot have learned of it in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        spec = next(t for t in incident.get_all_status_transitions() if t.name == "confirm")
        if not spec.has_perm(incident, by):
            raise policy.CHANGE_STATUS.refused(by, incident)
        if not can_proceed(incident.confirm):
            raise RuleBroken(
                _("Only an incident in triage can be confirmed; this one is %(status)s.")
                % {"status": incident.get_status_display()},
                status=incident.status,
                allowed_transitions=allowed_transitions(incident, by),
            )
        before = incident.status
        incident.confirm()
        incident.detected_at = learned_at or incident.detected_at
        incident.declared_at = now
        incident.severity = severity or incident.severity
        incident.save()
        playbook = _start_playbook(incident)
        record(
            incident,
            EntryKind.TRANSITION,
            actor=by,
            text=note,
            data={
                "transition": "confirm",
                "from": before,
                "to": incident.status,
                "learned_at": incident.detected_at.isoformat(),
                "severity": incident.severity,
                "playbook": playbook,
            },
        )
    return incident


def deadline_due_at(incident: Incident, *, due_in: int, unit: str, clock_starts_at: str) -> datetime:
    start = incident.detected_at if clock_starts_at == ClockStart.DETECTION else incident.declared_at
    if unit == Unit.WORKING_DAYS:
        return workdays.add_working_days(start, due_in)
    minutes = {Unit.MINUTES: 1, Unit.HOURS: 60, Unit.DAYS: 1440}[unit]
    return start + timedelta(minutes=due_in * minutes)


# What a task keeps of its playbook step, and a deadline of its rule (a copy: the playbook may change).
_COPIED_FROM_STEP = ("order", "phase", "title_zh", "title_en", "instructions_zh", "instructions_en", "owner_role",
                     "required", "completes_when")  # fmt: skip
_COPIED_FROM_RULE = ("code", "audience", "title_zh", "title_en", "source", "escalate_to", "nature", "met_by_statement")


def _run_playbook(incident: Incident) -> tuple[int, int]:
    """Turn the pinned version's steps into tasks and its rules into deadlines, with due times."""
    version = incident.playbook_version
    tasks = [
        Task(
            incident=incident,
            step=step,
            **{field: getattr(step, field) for field in _COPIED_FROM_STEP},
            due_at=(
                incident.declared_at + timedelta(minutes=step.due_offset_minutes)
                if step.due_offset_minutes is not None
                else None
            ),
        )
        for step in version.steps.all()
    ]
    deadlines = [
        Deadline(
            incident=incident,
            rule=rule,
            **{field: getattr(rule, field) for field in _COPIED_FROM_RULE},
            due_at=deadline_due_at(incident, due_in=rule.due_in, unit=rule.unit, clock_starts_at=rule.clock_starts_at),
            remind_before_minutes=",".join(str(n) for n in rule.reminder_leads),
        )
        for rule in version.deadline_rules.all()
    ]
    Task.objects.bulk_create(tasks)
    Deadline.objects.bulk_create(deadlines)
    return len(tasks), len(deadlines)


# --- The lifecycle ---------------------------------------------------------------------------------


# Steps that end or wind down the response say why: the timeline keeps the reason (closing: the
# closing summary).
NEEDS_A_REASON = ("stand_down", "resolve", "close")
OPEN_ITEMS = ("keep", "finish")  # on closing: leave open tasks and pending deadlines, or settle them


def transition_incident(incident_id: int, *, by, name: str, note: str = "", open_items: str = "keep") -> Incident:
    """Move the incident through its lifecycle (see Incident's transitions for who and when).

    Standing down, resolving and closing need a reason (closing: its summary). Closing with
    `open_items="finish"` skips the open tasks and waives the pending deadlines with that summary
    as the reason, on the timeline; with "keep" they stay as they were, stopped."""
    if name not in TRANSITION_NAMES:
        raise ValidationError({"transition": _("Unknown transition “%(name)s”.") % {"name": name}})
    if name == "confirm":  # as learned when triage began, at the severity the rule guessed
        return confirm_incident(incident_id, by=by, note=note)
    if open_items not in OPEN_ITEMS:
        raise ValidationError({"open_items": _("Choose what happens to open tasks and deadlines.")})
    note = _clean_text(note, "note", required=name in NEEDS_A_REASON)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        spec = next(t for t in incident.get_all_status_transitions() if t.name == name)
        if not spec.has_perm(incident, by):
            raise policy.CHANGE_STATUS.refused(by, incident)
        method = getattr(incident, name)
        if not can_proceed(method, check_conditions=False):
            raise RuleBroken(
                _("“%(name)s” is not possible while the incident is %(status)s.")
                % {"name": name, "status": incident.get_status_display()},
                status=incident.status,
                allowed_transitions=allowed_transitions(incident, by),
            )
        if not can_proceed(method):
            needs = spec.custom.get("needs", _("its conditions"))
            raise RuleBroken(
                _("“%(name)s” needs %(needs)s first.") % {"name": name, "needs": needs},
                status=incident.status,
                allowed_transitions=allowed_transitions(incident, by),
            )
        before = incident.status
        if name == "close" and open_items == "finish":
            _settle_open_items(incident, by=by, summary=note)
        method()
        incident.save()
        if not incident.is_open:
            alarms.stop_incident(incident)
            paging.incident_ended(incident)
            drills.stop(incident)
        record(
            incident,
            EntryKind.TRANSITION,
            actor=by,
            text=note,
            data={"transition": name, "from": before, "to": incident.status},
        )
        if incident.status == Status.CLOSED:
            alerts.incident_closed(incident, by=by)
    return incident


def _settle_open_items(incident: Incident, *, by, summary: str) -> None:
    """Closing settles what is left: open tasks are skipped, pending deadlines waived, each on the
    timeline with the closing summary as the reason."""
    for task in Task.objects.filter(incident=incident, state=TaskState.OPEN).select_related("assignee"):
        _finish_task(incident, task, by=by, state=TaskState.SKIPPED, note=summary)
    for deadline in Deadline.objects.filter(incident=incident, state=DeadlineState.PENDING):
        _waive(incident, deadline, by=by, reason=summary)


# --- Roles and command ------------------------------------------------------------------------------


def change_command(incident_id: int, *, by, to, briefing: str = "") -> Incident:
    """Name the first commander, or hand command over, in one atomic step.

    A hand-over needs a written briefing (situation, objectives, resources, communications) and
    records both ends on the timeline. The database admits one active commander per incident, so
    of two concurrent hand-overs exactly one wins; the other finds the new commander under the lock
    and gets a conflict naming them.
    """
    briefing = _clean_text(briefing, "briefing", required=False)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.TAKE_COMMAND.check(by)
        if incident.commander_id is not None and not permissions.directs(by, incident):
            raise RuleBroken(
                _("%(name)s commands this incident now; only they or an admin can hand over command.")
                % {"name": display_name(incident.commander)},
                commander=person(incident.commander),
            )
        require_open(incident)
        if not permissions.may_command(to):
            raise ValidationError({"user": _cannot_command(to)})
        if incident.commander_id == to.pk:
            raise RuleBroken(
                _("%(name)s already commands this incident.") % {"name": display_name(to)},
                commander=person(incident.commander),
            )
        if incident.commander_id is not None and not briefing:
            raise ValidationError({"briefing": _("A hand-over needs a written briefing.")})
        _take_command(incident, by=by, to=to, briefing=briefing)
    return incident


def _take_command(incident: Incident, *, by, to, briefing: str) -> None:
    now = timezone.now()
    previous = incident.commander
    if previous is not None:
        _end_assignment(incident, Role.COMMANDER, by=by, at=now)
        # The briefing is written once, on the hand-over entry that follows.
        record(
            incident,
            EntryKind.ROLE_ENDED,
            actor=by,
            data={"role": Role.COMMANDER, "user": person(previous), "handed_to": person(to)},
        )
    assignment = _create_assignment(incident, user=to, role=Role.COMMANDER, by=by, briefing=briefing, at=now)
    incident.commander = to
    incident.save(update_fields=["commander"])
    paging.command_taken(incident, to=to, by=by, assignment_id=assignment.pk)
    record(
        incident,
        EntryKind.COMMAND_HANDOVER if previous else EntryKind.ROLE_ASSIGNED,
        actor=by,
        text=briefing,
        data={
            "role": Role.COMMANDER,
            "user": person(to),
            "from": person(previous),
            "effective_at": now.isoformat(),
        },
    )
    _complete_automatically(incident, AutoComplete.COMMANDER_NAMED, by=by)


def _end_assignment(incident: Incident, role: str, *, by, at: datetime, user=None) -> int:
    active = RoleAssignment.objects.filter(incident=incident, role=role, ended_at__isnull=True)
    if user is not None:
        active = active.filter(user=user)
    return active.update(ended_at=at, ended_by=by)


def _create_assignment(incident: Incident, *, user, role: str, by, briefing: str, at: datetime) -> RoleAssignment:
    try:
        with transaction.atomic():  # a savepoint, so a violated constraint leaves the outer transaction usable
            return RoleAssignment.objects.create(
                incident=incident, user=user, role=role, assigned_by=by, briefing=briefing, started_at=at
            )
    except IntegrityError as exc:
        # Only reachable by a writer that skipped the incident lock; the database still says no.
        raise RuleBroken(_("Someone else took this role at the same moment; reload and try again.")) from exc


def assign_role(incident_id: int, *, by, user, role: str, briefing: str = "") -> RoleAssignment:
    """Give `user` a role. The commander role goes through change_command (a hand-over)."""
    if role == Role.COMMANDER:
        change_command(incident_id, by=by, to=user, briefing=briefing)
        return RoleAssignment.objects.get(incident_id=incident_id, role=role, ended_at__isnull=True)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    briefing = _clean_text(briefing, "briefing", required=False)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.ASSIGN_ROLE.check(by, incident)
        require_open(incident)
        if not user.is_active:
            raise ValidationError({"user": _("This account is disabled.")})
        if RoleAssignment.objects.filter(incident=incident, user=user, role=role, ended_at__isnull=True).exists():
            raise RuleBroken(
                _("%(name)s is already %(role)s.") % {"name": display_name(user), "role": Role(role).label}
            )
        now = timezone.now()
        if role in SINGLE_HOLDER_ROLES:
            previous = getattr(incident, role)
            if previous is not None:
                _end_assignment(incident, role, by=by, at=now)
                record(
                    incident,
                    EntryKind.ROLE_ENDED,
                    actor=by,
                    data={"role": role, "user": person(previous), "handed_to": person(user)},
                )
        assignment = _create_assignment(incident, user=user, role=role, by=by, briefing=briefing, at=now)
        if role in SINGLE_HOLDER_ROLES:
            setattr(incident, role, user)
            incident.save(update_fields=[role])
        record(
            incident,
            EntryKind.ROLE_ASSIGNED,
            actor=by,
            text=briefing,
            data={"role": role, "user": person(user)},
        )
        alerts.role_assigned(incident, assignment, by=by)
        if role == Role.SPOKESPERSON:
            _complete_automatically(incident, AutoComplete.SPOKESPERSON_NAMED, by=by)
    return assignment


def end_role(assignment_id: int, *, by) -> RoleAssignment:
    """End a role. Command is never simply dropped: it is handed over (change_command)."""
    assignment = RoleAssignment.objects.get(pk=assignment_id)
    if assignment.role == Role.COMMANDER:
        raise RuleBroken(_("Command is handed over, not dropped: name the next commander instead."))
    with transaction.atomic():
        incident = _locked(assignment.incident_id, by)
        policy.END_ROLE.check(by, incident)
        assignment.refresh_from_db()
        if assignment.ended_at is not None:
            raise RuleBroken(_("This role has already ended."))
        _end_assignment(incident, assignment.role, by=by, at=timezone.now(), user=assignment.user)
        if assignment.role in SINGLE_HOLDER_ROLES:
            setattr(incident, assignment.role, None)
            incident.save(update_fields=[assignment.role])
        record(
            incident,
            EntryKind.ROLE_ENDED,
            actor=by,
            data={"role": assignment.role, "user": person(assignment.user)},
        )
    assignment.refresh_from_db()
    return assignment


# --- Notes -------------------------------------------------------------------------------------------


def add_note(incident_id: int, *, by, text: str) -> TimelineEntry:
    text = _clean_text(text, "text", required=True)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.ADD_NOTE.check(by, incident)
        return record(incident, EntryKind.NOTE, actor=by, text=text)


def pinned_seqs(incident: Incident) -> list[int]:
    """The sequence numbers pinned as decisions now, in the order they were pinned."""
    state: dict[int, bool] = {}
    for data in TimelineEntry.objects.filter(incident=incident, kind=EntryKind.PINNED).values_list("data", flat=True):
        seq = data.get("seq")
        state.pop(seq, None)
        if data.get("pinned"):
            state[seq] = True
    return list(state)


def pin_entry(incident_id: int, *, by, seq: int, pinned: bool = True) -> TimelineEntry:
    """Pin a timeline entry as a decision (listed at the top of the war room and in the review),
    or unpin it. Pinning is itself an entry: who pinned what, and when, stays on the record."""
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.PIN_DECISION.check(by, incident)
        target = TimelineEntry.objects.filter(incident=incident, seq=seq).exclude(kind=EntryKind.PINNED).first()
        if target is None:
            raise ValidationError({"seq": _("There is no such entry to pin.")})
        if (seq in pinned_seqs(incident)) == pinned:
            raise RuleBroken(_("It is pinned already.") if pinned else _("It is not pinned."))
        excerpt = (target.text or describe(target.kind, target.data))[:80]
        return record(
            incident, EntryKind.PINNED, actor=by, data={"seq": seq, "pinned": bool(pinned), "excerpt": excerpt}
        )


# --- Tasks -------------------------------------------------------------------------------------------


def _finish_task(incident: Incident, task: Task, *, by, state: str, note: str) -> None:
    task.state = state
    task.completed_by = by
    task.completed_at = timezone.now()
    task.note = note
    task.save(update_fields=["state", "completed_by", "completed_at", "note"])
    alarms.stop_task(task)
    record(incident, EntryKind.TASK, actor=by, text=note, data=task_data(task, in_time=task.in_time))


def _complete_automatically(incident: Incident, trigger: str, *, by) -> None:
    for task in Task.objects.filter(incident=incident, completes_when=trigger, state=TaskState.OPEN):
        _finish_task(incident, task, by=by, state=TaskState.DONE, note="")


_UNSET: Any = object()


def update_task(task_id: int, *, by, state: str | None = None, assignee=_UNSET, note: str = "") -> Task:
    """Tick a task off, skip it (with a reason), reopen it, or assign it."""
    note = _clean_text(note, "note", required=False)
    task = Task.objects.get(pk=task_id)
    if state is not None and state not in TaskState.values:
        raise ValidationError({"state": _("Unknown state.")})
    with transaction.atomic():
        incident = _locked(task.incident_id, by, Task.DoesNotExist)
        task = Task.objects.select_related("assignee").get(pk=task_id)
        if assignee is not _UNSET:
            policy.ASSIGN_TASK.check(by, incident)
            if assignee is not None and not assignee.is_active:
                raise ValidationError({"assignee": _("This account is disabled.")})
            if assignee != task.assignee:
                task.assignee = assignee
                task.save(update_fields=["assignee"])
                record(incident, EntryKind.TASK, actor=by, data=task_data(task, change="assigned"))
                alerts.task_assigned(incident, task, by=by, change=incident.last_seq)
        if state is None or state == task.state:
            return task
        require_open(incident)
        if state == TaskState.DONE:
            policy.WORK_TASK.check(by, task)
            _finish_task(incident, task, by=by, state=state, note=note)
        elif state == TaskState.SKIPPED:
            policy.SKIP_TASK.check(by, incident)
            if task.required and not note:
                raise ValidationError({"note": _("Skipping a required step needs a reason.")})
            _finish_task(incident, task, by=by, state=state, note=note)
        else:  # reopen
            policy.WORK_TASK.check(by, task)
            task.state = TaskState.OPEN
            task.completed_by = None
            task.completed_at = None
            task.note = note
            task.save(update_fields=["state", "completed_by", "completed_at", "note"])
            alarms.plan_task(task)
            record(incident, EntryKind.TASK, actor=by, text=note, data=task_data(task))
    return task


# --- Deadlines -----------------------------------------------------------------------------------------


def _report(
    channel: str, authority: Any, received_by: Any, reported_at: datetime | None, *, now: datetime
) -> dict[str, Any]:
    """How a report to an authority was made, checked: a call or a visit names the authority and
    the officer who took it; the minute it was made is not in the future."""
    errors: dict[str, str] = {}
    if channel and channel not in ReportChannel.values:
        errors["channel"] = _("Unknown way of reporting.")
    officer_needed = channel in (ReportChannel.PHONE, ReportChannel.IN_PERSON)
    authority, authority_error = text_error(
        authority, required=bool(channel and channel != "statement"), max_length=200
    )
    received_by, officer_error = text_error(received_by, required=officer_needed, max_length=200)
    for field, error in (("authority", authority_error), ("received_by", officer_error)):
        if error:
            errors[field] = error
    if reported_at is not None and (error := moment_error(reported_at)):
        errors["reported_at"] = error
    elif reported_at is not None and reported_at > now + DETECTION_SKEW:
        errors["reported_at"] = _("A report cannot have been made in the future.")
    if errors:
        raise ValidationError(errors)
    return {"met_channel": channel, "met_authority": authority, "met_received_by": received_by}


def check_report_channel(channel: str, authority: Any, received_by: Any, reported_at: datetime | None) -> None:
    """The same checks as a report that meets a deadline, for one that meets none (a follow-up)."""
    _report(channel, authority, received_by, reported_at, now=timezone.now())


def meet_deadline(
    deadline_id: int,
    *,
    by,
    evidence: str,
    evidence_ref: str = "",
    channel: str = "",
    authority: str = "",
    received_by: str = "",
    reported_at: datetime | None = None,
) -> Deadline:
    """Record that what was owed has been delivered, with the evidence (what was sent, to whom).
    A report to an authority is met by reporting — usually a phone call: then the authority, the
    officer who took it and the minute it was made are recorded (a statement is one way, not the
    only one, so a statement waiting for its second review never holds up a statutory report)."""
    evidence = _clean_text(evidence, "evidence", required=True)
    report = _report(channel, authority, received_by, reported_at, now=timezone.now())
    deadline = Deadline.objects.get(pk=deadline_id)
    with transaction.atomic():
        incident = _locked(deadline.incident_id, by, Deadline.DoesNotExist)
        policy.MEET_DEADLINE.check(by, incident)
        return _meet(
            incident, deadline_id, by=by, evidence=evidence, evidence_ref=evidence_ref, at=reported_at, **report
        )


def _meet(
    incident: Incident, deadline_id: int, *, by, evidence: str, evidence_ref: str, at: datetime | None = None, **report
) -> Deadline:
    deadline = Deadline.objects.get(pk=deadline_id)
    if deadline.state not in (DeadlineState.PENDING, DeadlineState.BREACHED):
        raise RuleBroken(
            _("This deadline is already %(state)s.") % {"state": deadline.get_state_display()},
            state=deadline.state,
        )
    met_at = at or timezone.now()
    late = deadline.state == DeadlineState.BREACHED or met_at > deadline.due_at
    deadline.state = DeadlineState.MET
    deadline.met_at = met_at
    deadline.met_by = by
    deadline.evidence = evidence
    deadline.evidence_ref = evidence_ref
    for field, value in report.items():
        setattr(deadline, field, value)
    deadline.save(update_fields=["state", "met_at", "met_by", "evidence", "evidence_ref", *report])
    alarms.stop_deadline(deadline)
    reported = {"channel": deadline.met_channel} if deadline.met_channel else {}
    if deadline.met_authority:
        reported.update(authority=deadline.met_authority, received_by=deadline.met_received_by)
    record(
        incident,
        EntryKind.DEADLINE,
        actor=by,
        text=evidence,
        data=deadline_data(deadline, late=late, met_at=met_at.isoformat(), **reported),
    )
    return deadline


def meet_deadlines_by_statement(
    incident: Incident, audience: str, *, by, evidence: str, evidence_ref: str
) -> list[Deadline]:
    """Publishing a statement meets the open deadlines of its audience that statements answer.
    The caller (the statement service) holds the incident lock."""
    met = []
    for deadline in Deadline.objects.filter(
        incident=incident,
        audience=audience,
        met_by_statement=True,
        state__in=[DeadlineState.PENDING, DeadlineState.BREACHED],
    ):
        met.append(
            _meet(
                incident,
                deadline.pk,
                by=by,
                evidence=evidence,
                evidence_ref=evidence_ref,
                met_channel=ReportChannel.STATEMENT,
            )
        )
    return met


def update_interval(incident: Incident) -> int:
    """Minutes within which a promised next update is due, by the pinned playbook and the severity."""
    version = incident.playbook_version
    return version.update_every(incident.severity) if version else DEFAULT_UPDATE_EVERY.get(incident.severity, 240)


def record_promise(
    incident: Incident,
    *,
    by,
    audience: str,
    title_zh: str,
    title_en: str,
    due_at: datetime,
    source: str,
    met_by_statement: bool,
) -> Deadline:
    """A promise made in someone's name — a next update in a published statement, a meeting date
    given to owners — becomes our own deadline. The caller holds the incident's lock and has
    checked who may make it (publishing the statement, recording the promise)."""
    leads = [15] if due_at - timezone.now() > timedelta(minutes=30) else []
    deadline = Deadline.objects.create(
        incident=incident,
        code="promise",
        audience=audience,
        title_zh=title_zh[:200],
        title_en=title_en[:200],
        source=source,
        due_at=due_at,
        remind_before_minutes=",".join(str(n) for n in leads),
        escalate_to="commander,spokesperson",
        nature=DeadlineNature.DUTY,
        met_by_statement=met_by_statement,
    )
    alarms.plan_deadline(deadline)
    record(incident, EntryKind.DEADLINE, actor=by, text=source, data=deadline_data(deadline, change="promised"))
    return deadline


def record_promised(
    incident_id: int, *, by, audience: str, promise: str, due_at: datetime, to_whom: str = ""
) -> Deadline:
    """Someone promised something in the company's name — a meeting with the owners on Saturday, a
    written answer by Friday. Recorded, it becomes our own deadline: reminded before, escalated to
    the commander and spokesperson if it passes unkept (a broken promise is a new crisis)."""
    errors: dict[str, str] = {}
    if audience not in Audience.values:
        errors["audience"] = _("Unknown audience.")
    promise, promise_error = text_error(promise, required=True, max_length=200)
    to_whom, to_whom_error = text_error(to_whom, required=False, max_length=200)
    for field, error in (("promise", promise_error), ("to_whom", to_whom_error)):
        if error:
            errors[field] = error
    if error := moment_error(due_at):
        errors["due_at"] = error
    elif due_at < timezone.now() - DETECTION_SKEW:
        errors["due_at"] = _("A promise is for a time still to come.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.RECORD_PROMISE.check(by, incident)
        require_open(incident)
        title = f"{promise} — {to_whom}" if to_whom else promise
        return record_promise(
            incident,
            by=by,
            audience=audience,
            title_zh=title,
            title_en=title,
            due_at=due_at,
            source=_("Promised by %(name)s") % {"name": display_name(by)},
            met_by_statement=False,
        )


def waive_deadline(deadline_id: int, *, by, reason: str) -> Deadline:
    reason = _clean_text(reason, "reason", required=True)
    deadline = Deadline.objects.get(pk=deadline_id)
    with transaction.atomic():
        incident = _locked(deadline.incident_id, by, Deadline.DoesNotExist)
        policy.WAIVE_DEADLINE.check(by, incident)
        deadline = _pending(Deadline.objects.get(pk=deadline_id))
        _waive(incident, deadline, by=by, reason=reason)
    return deadline


def _waive(incident: Incident, deadline: Deadline, *, by, reason: str) -> None:
    deadline.state = DeadlineState.WAIVED
    deadline.waived_reason = reason
    deadline.save(update_fields=["state", "waived_reason"])
    alarms.stop_deadline(deadline)
    record(incident, EntryKind.DEADLINE, actor=by, text=reason, data=deadline_data(deadline))


def add_deadline(
    incident_id: int,
    *,
    by,
    audience: str,
    title: str,
    due_at: datetime,
    remind_before_minutes: list[int] | None = None,
    escalate_to: list[str] | None = None,
    source: str = "",
    nature: str = DeadlineNature.DUTY,
    met_by_statement: bool = False,
) -> Deadline:
    """A deadline the playbook did not foresee, e.g. one the inspectors set (the commander records
    it), or another's clock to track (`nature`: what an authority said it would do by when)."""
    errors: dict[str, str] = {}
    if audience not in Audience.values:
        errors["audience"] = _("Unknown audience.")
    try:
        title = _clean_text(title, "title", required=True, max_length=200)
        source = _clean_text(source, "source", required=False)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if error := moment_error(due_at):
        errors["due_at"] = error
    leads = remind_before_minutes or []
    if any(not isinstance(n, int) or isinstance(n, bool) or n <= 0 for n in leads):
        errors["remind_before_minutes"] = _("Reminder lead times are whole numbers of minutes above zero.")
    targets = escalate_to if escalate_to is not None else ["commander"]
    if any(t not in EscalationTarget.values for t in targets):
        errors["escalate_to"] = _("Unknown escalation target.")
    if nature not in DeadlineNature.values:
        errors["nature"] = _("Unknown kind of clock.")
    elif nature != DeadlineNature.DUTY and set(targets) - {EscalationTarget.COMMANDER}:
        errors["escalate_to"] = str(ONLY_DUTIES_ESCALATE)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        incident = _locked(incident_id, by)
        policy.ADD_DEADLINE.check(by, incident)
        require_open(incident)
        deadline = Deadline.objects.create(
            incident=incident,
            audience=audience,
            title_zh=title,
            title_en=title,
            source=source,
            due_at=due_at,
            remind_before_minutes=",".join(str(n) for n in sorted(set(leads), reverse=True)),
            escalate_to=",".join(targets),
            nature=nature,
            met_by_statement=met_by_statement,
        )
        alarms.plan_deadline(deadline)
        record(incident, EntryKind.DEADLINE, actor=by, text=source, data=deadline_data(deadline, change="added"))
    return deadline


def move_deadline(deadline_id: int, *, by, due_at: datetime, reason: str) -> Deadline:
    """Give a pending deadline a new due time (e.g. the regulator granted an extension). Its
    reminders and breach follow it; alarms already handed to Celery become harmless."""
    reason = _clean_text(reason, "reason", required=True)
    if error := moment_error(due_at):
        raise ValidationError({"due_at": error})
    deadline = Deadline.objects.get(pk=deadline_id)
    with transaction.atomic():
        incident = _locked(deadline.incident_id, by, Deadline.DoesNotExist)
        policy.MOVE_DEADLINE.check(by, incident)
        deadline = _pending(Deadline.objects.get(pk=deadline_id))
        before = deadline.due_at
        deadline.due_at = due_at
        deadline.save(update_fields=["due_at"])
        alarms.plan_deadline(deadline)
        record(
            incident,
            EntryKind.DEADLINE,
            actor=by,
            text=reason,
            data=deadline_data(deadline, change="moved", before=before.isoformat()),
        )
    return deadline
