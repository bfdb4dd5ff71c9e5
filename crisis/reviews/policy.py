"""Who may do what with a review: one `Permission` per use case, checked by the API and the pages
before the body is read and by the services again under the lock."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.commands import Permission
from incidents import permissions
from incidents.models import Incident, RoleAssignment
from playbooks.services import may_edit as may_edit_playbooks

from .models import ReviewAction


def took_part(user, incident: Incident) -> bool:
    """Reported it, or held any role in it at any time (the review comes after the roles end)."""
    if not permissions.may_view(user, incident):
        return False
    return incident.reported_by_id == user.pk or RoleAssignment.objects.filter(incident=incident, user=user).exists()


def last_commander(incident: Incident):
    assignment = (
        RoleAssignment.objects.filter(incident=incident, role="commander")
        .order_by("-started_at")
        .select_related("user")
        .first()
    )
    return assignment.user if assignment else None


def signs_off(user, incident: Incident) -> bool:
    commander = last_commander(incident)
    return permissions.is_admin(user) or (commander is not None and commander.pk == user.pk and user.is_active)


def _writes(user, incident: Incident) -> bool:
    return permissions.is_admin(user) or took_part(user, incident)


def _works_action(user, action: ReviewAction) -> bool:
    return action.owner_id == user.pk or signs_off(user, action.review.incident)


WRITE_REVIEW = Permission(_writes, _("Only those who took part in this incident, or an admin, may write its review."))
SIGN_OFF = Permission(signs_off, _("Only the incident's commander or an admin may sign off its review."))
GIVE_FEEDBACK = Permission(took_part, _("Only those who took part in this incident may give feedback on it."))
ADD_ACTION = Permission(_writes, _("Only those who took part in this incident, or an admin, may add action items."))
CHANGE_PLAYBOOK = Permission(
    lambda user, _target: may_edit_playbooks(user), _("Only a playbook editor may open a draft of the playbook.")
)
FINISH_ACTION = Permission(
    _works_action, _("Only the owner, the incident's commander or an admin may finish this item.")
)
