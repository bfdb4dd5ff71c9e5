"""Who may do what to an incident. Services call these; pages and API only mirror them.

Permissions are Django permissions granted to groups (see crisis.roles for the groups), plus
the per-incident facts: who commands it, who participates in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .models import Incident


def _active(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    return _active(user) and user.has_perm("incidents.administer_incident")


def may_declare(user) -> bool:
    return _active(user) and user.has_perm("incidents.declare_incident")


def may_command(user) -> bool:
    """May hold command of an incident (be named commander)."""
    return _active(user) and user.has_perm("incidents.command_incident")


def sees_restricted(user) -> bool:
    return _active(user) and user.has_perm("incidents.view_restricted_incident")


def participates(user, incident: Incident) -> bool:
    if not _active(user):
        return False
    if incident.reported_by_id == user.pk or incident.commander_id == user.pk:
        return True
    return incident.assignments.filter(user=user, ended_at__isnull=True).exists()


def may_view(user, incident: Incident) -> bool:
    if not _active(user):
        return False
    if not incident.restricted:
        return True
    return sees_restricted(user) or participates(user, incident)


def directs(user, incident: Incident) -> bool:
    """The commander of this incident, or an admin, directs it (lifecycle, roles, approvals)."""
    if not _active(user):
        return False
    return incident.commander_id == user.pk or is_admin(user)


def may_note(user, incident: Incident) -> bool:
    # DESIGN.md: every signed-in staff member who can see an incident may add notes to it
    # (executives included: "board informed" belongs on the timeline too).
    return may_view(user, incident)


def may_change_command(user, incident: Incident) -> bool:
    """Name the first commander (anyone who may command), or hand over (the commander, an admin)."""
    if incident.commander_id is None:
        return may_command(user) or is_admin(user)
    return directs(user, incident)
