"""Who the incident core tells of a role, a task or the end of an incident (issue 16).

Called inside the service's transaction; notifications go out after commit, once per person and
cause. Paging (a call for a commander that escalates) lives in `paging`; this is what is only
worth knowing. Nobody is told of their own action.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import Incident, RoleAssignment, Task
from .notify import delivery as notify
from .notify import texts
from .timeline import display_name

TOPIC = "incident"

TEXTS = {
    "role_assigned": (
        _("You are %(role)s: %(title)s"),
        _("%(by)s made you %(role)s of this incident. %(briefing)s %(url)s"),
    ),
    "task_assigned": (
        _("Task for you: %(task)s"),
        _("%(by)s gave you the task “%(task)s” (%(due)s) in %(title)s. %(url)s"),
    ),
    "incident_closed": (
        _("Closed: %(title)s"),
        _("%(by)s closed this incident, in which you took part. Its review follows. %(url)s"),
    ),
}


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": f"#{data.get('incident_id')} {data.get('incident_title', '')}",
        "by": data.get("by", ""),
        "role": data.get("role_label", ""),
        "briefing": data.get("briefing", ""),
        "task": (data.get("title_zh") if (get_language() or "").startswith("zh") else data.get("title_en"))
        or data.get("title_en")
        or data.get("title_zh")
        or "",
        "due": data.get("due", "") or _("no due time"),
        "url": f"/incidents/{data.get('incident_id', '')}/",
    }


def register_texts() -> None:
    texts.register_each(TOPIC, TEXTS, _values)


def _tell(event: str, people, incident: Incident, *, by, cause: str, **extra: Any) -> None:
    data = {
        "incident_id": incident.pk,
        "incident_title": incident.title,
        "by": display_name(by) if by is not None else "",
        **extra,
    }
    notify.tell(event, people, by=by, data=data, topic=(TOPIC, incident.pk), cause=cause)


def role_assigned(incident: Incident, assignment: RoleAssignment, *, by) -> None:
    _tell(
        "role_assigned",
        {assignment.user},
        incident,
        by=by,
        cause=f"role:{assignment.pk}",
        role_label=str(assignment.get_role_display()),
        briefing=assignment.briefing,
    )


def task_assigned(incident: Incident, task: Task, *, by, change: int) -> None:
    """`change` numbers the timeline entry of the assignment: assigned again later, told again."""
    due = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") if task.due_at else ""
    _tell(
        "task_assigned",
        {task.assignee},
        incident,
        by=by,
        cause=f"task:{task.pk}:{change}",
        title_zh=task.title_zh,
        title_en=task.title_en,
        due=due,
    )


def incident_closed(incident: Incident, *, by) -> None:
    """Everyone who held a role in the incident, and whoever reported it."""
    holders = {a.user for a in RoleAssignment.objects.filter(incident=incident).select_related("user")}
    people = {p for p in (*holders, incident.reported_by) if p.is_active}
    # Closed, reopened and closed again: told again (the timeline's sequence tells the two apart).
    _tell("incident_closed", people, incident, by=by, cause=f"closed:{incident.pk}:{incident.last_seq}")
