"""Who may take each step of an incident: one `Permission` per use case, with the one message
that says why not. The API and the pages check it before they read a request's body; the services
check it again under the incident's row lock (README "Permissions" lists them as a table)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.commands import Permission

from . import permissions
from .models import Incident, RoleAssignment, Task


def holds_role(user, incident: Incident, role: str | None = None) -> bool:
    active = RoleAssignment.objects.filter(incident=incident, user=user, ended_at__isnull=True)
    return (active.filter(role=role) if role else active).exists()


def works_task(user, task: Task) -> bool:
    """The commander, an admin, the task's assignee, or a holder of the role that owns the step."""
    incident = task.incident
    return (
        permissions.directs(user, incident)
        or (task.assignee_id is not None and task.assignee_id == user.pk)
        or holds_role(user, incident, task.owner_role)
    )


def _directs(user, incident: Incident) -> bool:
    return permissions.directs(user, incident)


DECLARE = Permission(lambda user, _target: permissions.may_declare(user), _("You may not declare incidents."))
# Anyone who may command is let through to the state machine, which says (409) whether the step
# is possible now; only the incident's commander or an admin then takes it (403 otherwise).
CHANGE_STATUS = Permission(
    lambda user, incident: permissions.directs(user, incident) or permissions.may_command(user),
    _("Only the commander or an admin may change this incident's status."),
)
TAKE_COMMAND = Permission(
    lambda user, _target: permissions.may_command(user) or permissions.is_admin(user),
    _("You may not command incidents."),
)
# The hand-over page: before anyone commands, whoever may command may take it; after that, only
# the commander or an admin hands over (the service then checks the rest under the lock).
CHANGE_COMMAND = Permission(permissions.may_change_command, _("Only the commander or an admin may hand over command."))
ASSIGN_ROLE = Permission(_directs, _("Only the commander or an admin may assign roles."))
END_ROLE = Permission(_directs, _("Only the commander or an admin may end roles."))
ADD_NOTE = Permission(permissions.may_note, _("You may not add notes to this incident."))
WORK_TASK = Permission(works_task, _("Only the commander, an admin, the assignee or the owning role may do this task."))
ASSIGN_TASK = Permission(_directs, _("Only the commander or an admin may assign tasks."))
SKIP_TASK = Permission(_directs, _("Only the commander or an admin may skip a task."))
MEET_DEADLINE = Permission(
    lambda user, incident: permissions.directs(user, incident) or holds_role(user, incident),
    _("Only the commander, an admin or someone with a role in this incident may do this."),
)
# Decisions are pinned by those who run the incident: its commander, an admin, its role holders
# (the scribe above all); the timeline says who pinned what.
PIN_DECISION = Permission(
    lambda user, incident: permissions.directs(user, incident) or holds_role(user, incident),
    _("Only the commander, an admin or someone with a role in this incident may pin decisions."),
)
# A promise is made by whoever speaks for the company in this incident; the commander may record one
# made by anyone.
RECORD_PROMISE = Permission(
    lambda user, incident: permissions.directs(user, incident) or holds_role(user, incident),
    _("Only the commander, an admin or someone with a role in this incident may record a promise."),
)
WAIVE_DEADLINE = Permission(_directs, _("Only the commander or an admin may waive a deadline."))
ADD_DEADLINE = Permission(_directs, _("Only the commander or an admin may add a deadline."))
MOVE_DEADLINE = Permission(_directs, _("Only the commander or an admin may move a deadline."))
