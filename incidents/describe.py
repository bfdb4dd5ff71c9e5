"""Timeline entries in words, in the reader's language.

Entries store their facts (kind, actor, data, the text a person wrote); the sentence is made when
it is read, so a Chinese and an English reader of the same war room both read their own language.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from playbooks.models import Audience

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
    if d.get("change") == "moved":
        return _("Deadline moved: %(title)s") % {"title": title}
    if d.get("change") == "added":
        return _("Deadline added: %(title)s") % {"title": title}
    if d.get("state") == DeadlineState.MET:
        if d.get("late"):
            return _("Deadline met late: %(title)s") % {"title": title}
        return _("Deadline met: %(title)s") % {"title": title}
    if d.get("state") == DeadlineState.WAIVED:
        return _("Deadline waived: %(title)s") % {"title": title}
    return _("Deadline: %(title)s") % {"title": title}


def _audience(code: str | None) -> str:
    try:
        return str(Audience(code).label)
    except ValueError:
        return code or "?"


def _describe_statement(d: dict[str, Any]) -> str:
    """Statements (一个声音): every step of the review is a line on the timeline, the approvals log."""
    values = {"title": d.get("title", ""), "audience": _audience(d.get("audience")), "version": d.get("version")}
    action = d.get("action")
    if action == "drafted":
        return _("Statement to %(audience)s drafted: “%(title)s”") % values
    if action == "edited":
        if d.get("returned_to_review"):
            return _("Approved statement to %(audience)s edited, back in review (version %(version)s): “%(title)s”") % (
                values
            )
        return _("Statement to %(audience)s edited (version %(version)s): “%(title)s”") % values
    if action == "submitted":
        return _("Statement to %(audience)s submitted for approval: “%(title)s”") % values
    if action == "approved":
        if d.get("awaiting_second_review"):
            return _("Statement to %(audience)s approved by the commander, awaiting the second review: “%(title)s”") % (
                values
            )
        return _("Statement to %(audience)s approved: “%(title)s”") % values
    if action == "second_review":
        if d.get("awaiting_commander"):
            return _(
                "Statement to %(audience)s cleared by the second reviewer, awaiting the commander: “%(title)s”"
            ) % (values)
        return _("Statement to %(audience)s cleared by the second reviewer and approved: “%(title)s”") % values
    if action == "rejected":
        return _("Statement to %(audience)s rejected: “%(title)s”") % values
    if action == "published":
        return _("Statement published to %(audience)s: “%(title)s”") % values
    if action == "superseded":
        return _("Statement to %(audience)s superseded: “%(title)s”") % values
    if action == "withdrawn":
        return _("Statement to %(audience)s withdrawn: “%(title)s”") % values
    return _("Statement: “%(title)s”") % values


def _describe_qa_line(d: dict[str, Any]) -> str:
    action = d.get("action")
    if action == "seeded":
        return _("Q&A lines drafted from the playbook: %(n)s") % {"n": d.get("count", 0)}
    values = {"question": d.get("question", "")}
    messages = {
        "drafted": _("Q&A line drafted: “%(question)s”"),
        "edited": _("Q&A line edited: “%(question)s”"),
        "revised": _("Revision of a Q&A line drafted: “%(question)s”"),
        "submitted": _("Q&A line submitted for approval: “%(question)s”"),
        "approved": _("Q&A line approved, now in force: “%(question)s”"),
        "rejected": _("Q&A line rejected: “%(question)s”"),
        "superseded": _("Q&A line superseded by a revision: “%(question)s”"),
        "withdrawn": _("Q&A line withdrawn: “%(question)s”"),
    }
    return messages.get(action, _("Q&A line: “%(question)s”")) % values


def _describe_complaint(d: dict[str, Any]) -> str:
    from .complaints.models import ComplaintCategory, Level, Trigger

    def label(choices, code):
        try:
            return str(choices(code).label)
        except ValueError:
            return code or "?"

    values = {
        "id": d.get("complaint"),
        "category": label(ComplaintCategory, d.get("category")),
        "project": d.get("project") or "—",
        "trigger": label(Trigger, d.get("trigger")),
        "level": label(Level, d.get("level")),
    }
    action = d.get("action")
    wave = d.get("wave_complaints") if isinstance(d.get("wave_complaints"), list) else []
    linked = (
        " "
        + ngettext(
            "With it, %(n)d earlier complaint of the wave: %(ids)s",
            "With it, %(n)d earlier complaints of the wave: %(ids)s",
            len(wave),
        )
        % {"n": len(wave), "ids": ", ".join(f"#{pk}" for pk in wave)}
        if wave
        else ""
    )
    if action == "opened":
        return _("Complaint #%(id)s (%(category)s, %(project)s) opened this incident: %(trigger)s") % values + linked
    if action == "escalated":
        return _("Complaint #%(id)s climbed the ladder to %(level)s") % values
    if action == "closed":
        return _("Complaint #%(id)s closed") % values
    return _("Complaint #%(id)s (%(category)s, %(project)s) joined this incident: %(trigger)s") % values + linked


def describe(kind: str, data: dict[str, Any], text: str = "") -> str:
    """One line for a timeline entry; the free text a person wrote is shown beside it, not in it."""
    d = data or {}
    if kind == EntryKind.DECLARED:
        playbook = d.get("playbook")
        if playbook:
            name = playbook.get("name_zh") if (get_language() or "").startswith("zh") else playbook.get("name_en")
            return _("Incident declared: %(title)s — playbook %(playbook)s v%(version)s") % {
                "title": d.get("title", ""),
                "playbook": name or playbook.get("slug"),
                "version": playbook.get("version"),
            }
        return _("Incident declared: %(title)s") % {"title": d.get("title", "")}
    if kind == EntryKind.TRANSITION:
        return _("Status changed from %(from)s to %(to)s") % {
            "from": _status(d.get("from")),
            "to": _status(d.get("to")),
        }
    if kind == EntryKind.NOTE:
        return text
    if kind == EntryKind.ROLE_ASSIGNED:
        return _("%(name)s is now %(role)s") % {"name": _name(d.get("user")), "role": _role(d.get("role"))}
    if kind == EntryKind.ROLE_ENDED:
        if d.get("handed_to"):
            return _("%(name)s hands over the role of %(role)s to %(to)s") % {
                "name": _name(d.get("user")),
                "role": _role(d.get("role")),
                "to": _name(d.get("handed_to")),
            }
        return _("%(name)s is no longer %(role)s") % {
            "name": _name(d.get("user")),
            "role": _role(d.get("role")),
        }
    if kind == EntryKind.COMMAND_HANDOVER:
        return _("Command handed over from %(from)s to %(to)s") % {
            "from": _name(d.get("from")),
            "to": _name(d.get("user")),
        }
    if kind == EntryKind.TASK:
        return _describe_task(d)
    if kind == EntryKind.REMINDER:
        return _("Reminder: “%(title)s” is due in %(n)s minutes") % {"title": _title(d), "n": d.get("lead_minutes")}
    if kind == EntryKind.BREACH:
        if d.get("target") == "task":
            return _("Overdue: “%(title)s” was due and is not done") % {"title": _title(d)}
        return _("Deadline missed: “%(title)s” — escalated") % {"title": _title(d)}
    if kind == EntryKind.FIRST_HOUR:
        return _("First hour over: %(t)s of %(tt)s first-hour steps and %(d)s of %(dt)s deadlines done in time") % {
            "t": d.get("tasks_in_time", 0),
            "tt": d.get("tasks_total", 0),
            "d": d.get("deadlines_in_time", 0),
            "dt": d.get("deadlines_total", 0),
        }
    if kind == EntryKind.DEADLINE:
        return _describe_deadline(d)
    if kind == EntryKind.STATEMENT:
        return _describe_statement(d)
    if kind == EntryKind.QA_LINE:
        return _describe_qa_line(d)
    if kind == EntryKind.COMPLAINT:
        return _describe_complaint(d)
    try:
        return str(EntryKind(kind).label)
    except ValueError:
        return kind
