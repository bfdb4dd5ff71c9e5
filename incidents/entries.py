"""The incident core's timeline kinds: the shape of each one's data and how it reads.

Entries store their facts (kind, actor, data, the text a person wrote); the sentence is made when
it is read, so a Chinese and an English reader of the same war room both read their own language.
Each kind has a TypedDict for its `data` (what the API, the websocket and the README promise) and
a sentence; IncidentsConfig.ready registers them with incidents.timeline. Other domains register
their own kinds the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .models import DeadlineState, EntryKind, Role, Status, TaskState


def _name(who: Any) -> str:
    if isinstance(who, dict):
        return who.get("name") or who.get("username") or "?"
    return "?"


def _status(code: str | None) -> str:
    try:
        return str(Status(code).label)
    except ValueError:
        return code or "?"


def _moment(iso: Any) -> str:
    """An ISO time from the data, as the reader's local time (the text of the data if it is not one)."""
    try:
        return timezone.localtime(datetime.fromisoformat(iso)).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(iso or "?")


def _role(code: str | None) -> str:
    try:
        return str(Role(code).label)
    except ValueError:
        return code or "?"


def _title(d: dict[str, Any]) -> str:
    zh, en = d.get("title_zh", ""), d.get("title_en", "")
    return (zh or en) if (get_language() or "").startswith("zh") else (en or zh)


def _describe_task(d: dict[str, Any]) -> str:
    title = _title(d)
    if d.get("change") == "assigned":
        if d.get("assignee"):
            return _("Task “%(title)s” assigned to %(name)s") % {"title": title, "name": _name(d["assignee"])}
        return _("Task “%(title)s” unassigned") % {"title": title}
    if d.get("state") == TaskState.DONE:
        if d.get("in_time") is False:
            return _("Task done, late: %(title)s") % {"title": title}
        return _("Task done: %(title)s") % {"title": title}
    if d.get("state") == TaskState.SKIPPED:
        return _("Task skipped: %(title)s") % {"title": title}
    return _("Task reopened: %(title)s") % {"title": title}


def _describe_deadline(d: dict[str, Any]) -> str:
    title = _title(d)
    if d.get("change") == "expected":
        return _("Expected by now from outside: “%(title)s” — not our deadline; chase it") % {"title": title}
    if d.get("change") == "benchmark":
        return _("Benchmark time reached: “%(title)s” — a suggestion, not a breach") % {"title": title}
    if d.get("change") == "window_closed":
        return _("Watch window closed: “%(title)s”") % {"title": title}
    if d.get("change") == "moved":
        return _("Deadline moved: %(title)s") % {"title": title}
    if d.get("change") == "promised":
        return _("Promise made, now a deadline: %(title)s") % {"title": title}
    if d.get("change") == "added":
        return _("Deadline added: %(title)s") % {"title": title}
    if d.get("state") == DeadlineState.MET:
        if d.get("late"):
            return _("Deadline met late: %(title)s") % {"title": title}
        return _("Deadline met: %(title)s") % {"title": title}
    if d.get("state") == DeadlineState.WAIVED:
        return _("Deadline waived: %(title)s") % {"title": title}
    return _("Deadline: %(title)s") % {"title": title}


# --- The shapes of the data (documented in the README) ---------------------------------------------


class Person(TypedDict):
    id: int
    username: str
    name: str


class PlaybookRef(TypedDict):
    id: int
    slug: str
    version: int
    name_zh: str
    name_en: str
    tasks: int
    deadlines: int


class Declared(TypedDict):
    title: str
    kind: str
    severity: int
    location: str
    playbook: PlaybookRef | None
    trigger: NotRequired[dict]
    triage: NotRequired[bool]  # opened in triage: nothing of the playbook runs yet
    drill_script: NotRequired[dict]  # an exercise run from a drill script: {"id", "name"}


# "from" is a Python keyword: these two are declared the functional way.
Transition = TypedDict("Transition", {"transition": str, "from": str, "to": str})


class Confirmed(Transition):
    """The end of triage ("confirm"): when the company learned of it, the confirmed severity, the
    playbook that now runs."""

    learned_at: NotRequired[str]
    severity: NotRequired[int]
    playbook: NotRequired[PlaybookRef | None]


class Note(TypedDict):
    pass


class RoleChange(TypedDict):
    role: str
    user: Person | None
    handed_to: NotRequired[Person | None]  # role_ended: who took the role over
    effective_at: NotRequired[str]  # command: when the new commander took over


# Taking command names the commander before ("from") and when the new one took over.
CommandChange = TypedDict(
    "CommandChange",
    {
        "role": str,
        "user": Person | None,
        "from": NotRequired[Person | None],
        "effective_at": NotRequired[str],
    },
)


class TaskEntry(TypedDict):
    task: int
    title_zh: str
    title_en: str
    state: str
    due_at: str | None
    assignee: Person | None
    change: NotRequired[str]
    in_time: NotRequired[bool | None]


class DeadlineEntry(TypedDict):
    deadline: int
    title_zh: str
    title_en: str
    audience: str
    state: str
    due_at: str
    nature: NotRequired[str]  # whose clock: duty, expect, watch, guide
    change: NotRequired[str]
    late: NotRequired[bool]
    before: NotRequired[str]
    met_at: NotRequired[str]  # met: the minute it was met (a report: when it was made)
    channel: NotRequired[str]  # met: phone, in_person, written, online, statement
    authority: NotRequired[str]  # met by a report: to whom
    received_by: NotRequired[str]  # met by a report: the officer who took it


class Alarmed(TypedDict):
    """A reminder or a breach: the deadline's or the task's data, and what the alarm adds."""

    target: str  # "deadline" or "task"
    alarm: int
    title_zh: str
    title_en: str
    state: str
    due_at: str | None
    deadline: NotRequired[int]
    audience: NotRequired[str]
    nature: NotRequired[str]
    task: NotRequired[int]
    assignee: NotRequired[Person | None]
    lead_minutes: NotRequired[int]
    late_seconds: NotRequired[float]


class FirstHour(TypedDict):
    tasks_total: int
    tasks_in_time: int
    deadlines_total: int
    deadlines_in_time: int
    commander_named: bool


class Pinned(TypedDict):
    """An entry pinned as a decision, or unpinned (the timeline stays append-only)."""

    seq: int
    pinned: bool
    excerpt: str


class Paged(TypedDict):
    """A rung of a page: whom it paged (step 0 on duty, 1 backup, 2 admins and executives)."""

    page: int
    step: int
    event: str  # incident_declared or page_unacknowledged
    recipients: list[Person]


class PageAcknowledged(TypedDict):
    page: int
    step: int
    via: str  # notification or command
    after_seconds: float


# --- The sentences --------------------------------------------------------------------------------


def _declared(d: dict[str, Any], text: str) -> str:
    if d.get("triage"):
        return _("Opened in triage: %(title)s — no legal clock runs until the commander confirms it happened") % {
            "title": d.get("title", "")
        }
    playbook = d.get("playbook")
    if playbook:
        name = playbook.get("name_zh") if (get_language() or "").startswith("zh") else playbook.get("name_en")
        return _("Incident declared: %(title)s — playbook %(playbook)s v%(version)s") % {
            "title": d.get("title", ""),
            "playbook": name or playbook.get("slug"),
            "version": playbook.get("version"),
        }
    return _("Incident declared: %(title)s") % {"title": d.get("title", "")}


def _transition(d: dict[str, Any], text: str) -> str:
    if d.get("transition") == "confirm":
        return _(
            "Confirmed: it happened. The company learned of it at %(learned)s; the playbook's clocks run from then"
        ) % {"learned": _moment(d.get("learned_at"))}
    return _("Status changed from %(from)s to %(to)s") % {"from": _status(d.get("from")), "to": _status(d.get("to"))}


def _note(d: dict[str, Any], text: str) -> str:
    return text


def _role_assigned(d: dict[str, Any], text: str) -> str:
    return _("%(name)s is now %(role)s") % {"name": _name(d.get("user")), "role": _role(d.get("role"))}


def _role_ended(d: dict[str, Any], text: str) -> str:
    values = {"name": _name(d.get("user")), "role": _role(d.get("role")), "to": _name(d.get("handed_to"))}
    if d.get("handed_to"):
        return _("%(name)s hands over the role of %(role)s to %(to)s") % values
    return _("%(name)s is no longer %(role)s") % values


def _handover(d: dict[str, Any], text: str) -> str:
    return _("Command handed over from %(from)s to %(to)s") % {"from": _name(d.get("from")), "to": _name(d.get("user"))}


def _reminder(d: dict[str, Any], text: str) -> str:
    values = {"title": _title(d), "n": d.get("lead_minutes")}
    if d.get("nature") == "watch":
        return _("Watch window “%(title)s” closes in %(n)s minutes") % values
    if d.get("nature") in ("expect", "guide"):
        return _("Expected in %(n)s minutes: “%(title)s” (not our deadline)") % values
    return _("Reminder: “%(title)s” is due in %(n)s minutes") % values


def _breach(d: dict[str, Any], text: str) -> str:
    if d.get("target") == "task":
        return _("Overdue: “%(title)s” was due and is not done") % {"title": _title(d)}
    return _("Deadline missed: “%(title)s” — escalated") % {"title": _title(d)}


def _first_hour(d: dict[str, Any], text: str) -> str:
    return _("First hour over: %(t)s of %(tt)s first-hour steps and %(d)s of %(dt)s deadlines done in time") % {
        "t": d.get("tasks_in_time", 0),
        "tt": d.get("tasks_total", 0),
        "d": d.get("deadlines_in_time", 0),
        "dt": d.get("deadlines_total", 0),
    }


def _pinned(d: dict[str, Any], text: str) -> str:
    values = {"seq": d.get("seq"), "excerpt": d.get("excerpt", "")}
    if d.get("pinned"):
        return _("Pinned as a decision: #%(seq)s “%(excerpt)s”") % values
    return _("Unpinned: #%(seq)s “%(excerpt)s”") % values


def _names(people: Any) -> str:
    return ", ".join(_name(p) for p in people or []) or "?"


def _paged(d: dict[str, Any], text: str) -> str:
    values = {"names": _names(d.get("recipients"))}
    if d.get("step") == 1:
        return _("No acknowledgement: paged the backup commander %(names)s") % values
    if d.get("step") == 2:
        return _("No acknowledgement: paged the admins and executives (%(names)s)") % values
    return _("Paged the commander on duty: %(names)s") % values


def _page_acknowledged(d: dict[str, Any], text: str) -> str:
    minutes = round(float(d.get("after_seconds") or 0) / 60, 1)
    if d.get("via") == "command":
        return _("Page answered by taking command, %(minutes)s min after it went out") % {"minutes": minutes}
    return _("Page acknowledged, %(minutes)s min after it went out") % {"minutes": minutes}


class DrillInjectEntry(TypedDict):
    inject: int
    title: str
    due_at: str


def _drill_inject(data: dict[str, Any], text: str) -> str:
    return _("Drill inject: %(title)s") % {"title": data.get("title", "")}


KINDS = (
    (EntryKind.DECLARED, _declared, Declared),
    (EntryKind.TRANSITION, _transition, Confirmed),
    (EntryKind.NOTE, _note, Note),
    (EntryKind.ROLE_ASSIGNED, _role_assigned, CommandChange),
    (EntryKind.ROLE_ENDED, _role_ended, RoleChange),
    (EntryKind.COMMAND_HANDOVER, _handover, CommandChange),
    (EntryKind.TASK, lambda d, text: _describe_task(d), TaskEntry),
    (EntryKind.DEADLINE, lambda d, text: _describe_deadline(d), DeadlineEntry),
    (EntryKind.REMINDER, _reminder, Alarmed),
    (EntryKind.BREACH, _breach, Alarmed),
    (EntryKind.FIRST_HOUR, _first_hour, FirstHour),
    (EntryKind.PINNED, _pinned, Pinned),
    (EntryKind.PAGED, _paged, Paged),
    (EntryKind.PAGE_ACKNOWLEDGED, _page_acknowledged, PageAcknowledged),
    (EntryKind.DRILL_INJECT, _drill_inject, DrillInjectEntry),
)
