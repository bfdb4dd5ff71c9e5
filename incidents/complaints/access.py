"""Who may do what with a complaint, and who sees the customer's personal details.

Complaint staff belong to the groups of the escalation ladder (CRISIS_COMPLAINT_LADDER_GROUPS, from
the front-line handlers to senior management); admins stand at the top. A member may handle a
complaint at their level or below, and approve promises made below their level. Everyone else
may log complaints and follow them, with names and phone numbers masked.

The staff member a complaint is about is kept off it, whatever their rung: they may follow it like
anyone else, but not take it, act on it, answer the customer, confirm or approve anything in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from config.commands import Permission
from config.errors import NotAllowed

from .. import permissions
from .models import TOP_INTERNAL_LEVEL, Level

if TYPE_CHECKING:  # pragma: no cover
    from .models import Complaint


def ladder_level(user) -> int | None:
    """The highest ladder level `user` stands on, or None for people outside complaint handling."""
    if not permissions._active(user):
        return None
    cached = getattr(user, "_complaint_ladder_level", "unset")
    if cached != "unset":
        return cached
    if permissions.is_admin(user):
        level: int | None = int(TOP_INTERNAL_LEVEL)
    else:
        names = set(user.groups.values_list("name", flat=True))
        levels = [i for i, name in enumerate(settings.CRISIS_COMPLAINT_LADDER_GROUPS) if name in names]
        level = max(levels) if levels else None
    user._complaint_ladder_level = level
    return level


def is_complaint_staff(user) -> bool:
    return ladder_level(user) is not None


def may_log(user) -> bool:
    """Every signed-in staff member (and every API client) may log a complaint."""
    return permissions._active(user)


def is_complained_about(user, complaint: Complaint) -> bool:
    """`user` is the staff member the complaint is about."""
    return complaint.complained_about_id is not None and complaint.complained_about_id == getattr(user, "pk", None)


def may_handle(user, complaint: Complaint) -> bool:
    level = ladder_level(user)
    return (
        level is not None
        and level >= min(complaint.level, TOP_INTERNAL_LEVEL)
        and not is_complained_about(user, complaint)
    )


def may_approve(user, complaint: Complaint) -> bool:
    """A promise beyond the handler's authority is approved by someone above the complaint's level."""
    level = ladder_level(user)
    return (
        level is not None
        and (level > complaint.level or permissions.is_admin(user))
        and not is_complained_about(user, complaint)
    )


def manager_on_the_case(user, complaint: Complaint) -> bool:
    """A business manager or someone higher who may handle the complaint: the 负责人 who confirms a
    written reply (letter, fax) before it goes, and who says which staff member it is about."""
    level = ladder_level(user)
    return level is not None and level >= Level.BUSINESS_MANAGER and may_handle(user, complaint)


def may_extend(user, complaint: Complaint) -> bool:
    """Senior management extends a resolution limit (as far as the complaint's profile allows)."""
    level = ladder_level(user)
    return level is not None and level >= Level.SENIOR_MANAGEMENT and not is_complained_about(user, complaint)


def sees_personal_data(user, complaint: Complaint) -> bool:
    """Complaint staff who may handle it, and its handler — while the handler is still complaint
    staff: someone moved out of complaint handling loses sight of the customers they had."""
    if may_handle(user, complaint):
        return True
    return complaint.handler_id is not None and complaint.handler_id == user.pk and is_complaint_staff(user)


def members_at(level: int):
    """Active members of the group for a ladder level (the outside body's case stays with the top)."""
    groups = settings.CRISIS_COMPLAINT_LADDER_GROUPS
    name = groups[min(level, len(groups) - 1)]
    return get_user_model().objects.filter(is_active=True, groups__name=name).distinct()


def level_name(level: int) -> str:
    return str(Level(level).label)


def mask_name(name: str) -> str:
    """张三丰 → 张**; Li Lei → L*****; a name of one character is hidden whole."""
    name = name.strip()
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678 (the usual masking of a mobile number); anything shorter, such as
    a landline without its area code, keeps only its last two characters, so that most of it is
    always hidden."""
    phone = phone.strip()
    if not phone:
        return ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]


# --- Who may take each step: one permission each, checked by the API and pages before the body is
# read and by the services again under the complaint's lock; each message is written here once.


KEPT_OFF = _(
    "This complaint is about you: it is handled by someone with no stake in it. You may follow it, "
    "but not take it on, act on it or answer the customer."
)


def _kept_off_or(refusal):
    """The refusal for the staff member the complaint is about says so; others get `refusal`."""

    def refuse(user, complaint: Complaint, message: str) -> NotAllowed:
        if is_complained_about(user, complaint):
            return NotAllowed(str(KEPT_OFF))
        return refusal(user, complaint, message) if refusal else NotAllowed(message)

    return refuse


def _below_level(user, complaint: Complaint, message: str) -> NotAllowed:
    return NotAllowed(message % {"level": level_name(min(complaint.level, TOP_INTERNAL_LEVEL))})


def _may_attach(user, complaint: Complaint) -> bool:
    if is_complained_about(user, complaint):
        return False
    return may_handle(user, complaint) or complaint.logged_by_id == getattr(user, "pk", None)


LOG = Permission(lambda user, _target: may_log(user), _("Sign in to log complaints."))
HANDLE = Permission(
    may_handle,
    _("Only complaint staff at the level of %(level)s or above may handle this complaint."),
    refusal=_kept_off_or(_below_level),
)
APPROVE = Permission(
    may_approve,
    _("A promise beyond the handler's authority is approved by someone above this level."),
    refusal=_kept_off_or(None),
)
CONFIRM_REPLY = Permission(
    manager_on_the_case,
    _("A written reply is confirmed by a business manager or someone higher who may handle this complaint."),
    refusal=_kept_off_or(None),
)
NAME_COMPLAINED_ABOUT = Permission(
    manager_on_the_case,
    _("A business manager or someone higher who may handle this complaint says whom it is about."),
    refusal=_kept_off_or(None),
)
EXTEND = Permission(
    may_extend,
    _("Only senior management may extend a complaint's time limit."),
    refusal=_kept_off_or(None),
)
OPEN_ATTACHMENT = Permission(
    lambda user, attachment: (
        not is_complained_about(user, attachment.complaint)
        and (
            sees_personal_data(user, attachment.complaint)
            or attachment.complaint.logged_by_id == getattr(user, "pk", None)
        )
    ),
    _("Attachments may hold personal details; only complaint staff may open them."),
    refusal=lambda user, attachment, message: _kept_off_or(None)(user, attachment.complaint, message),
)
ATTACH = Permission(
    _may_attach,
    _("Only complaint staff or whoever logged the complaint may attach files to it."),
    refusal=_kept_off_or(None),
)
