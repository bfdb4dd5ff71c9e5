"""Who complaints tell, beyond their clocks (issue 16): a promise beyond the handler's authority
waits for the rung above, and a complaint that climbs the ladder is new work for its new rung.

Called inside the complaint's transaction; notifications go out after commit, once per person
and cause. Nobody is told of their own action, and nobody the complaint is about is told of it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from ..notify import delivery as notify
from ..notify import texts
from ..timeline import display_name
from . import access
from .models import Complaint, Level

TOPIC = "complaint"

TEXTS = {
    "complaint_approval_requested": (
        _("Complaint #%(id)s: a promise waits for your approval"),
        _(
            "%(by)s proposes %(amount)s yuan for complaint #%(id)s (%(project)s), beyond the handler's "
            "authority. Approve it before the customer is told. %(url)s"
        ),
    ),
    "complaint_escalated": (
        _("Complaint #%(id)s is now yours: %(level)s"),
        _("Complaint #%(id)s (%(project)s) climbed the ladder to %(level)s (%(reason)s). %(url)s"),
    ),
}

REASONS = {
    "dispute": _("the customer disputed the offer"),
    "breach:acknowledge": _("the time limit to acknowledge was missed"),
    "breach:resolve": _("the time limit to resolve was missed"),
}


def _values(data: dict[str, Any]) -> dict[str, Any]:
    try:
        level = str(Level(data.get("level")).label)
    except ValueError:
        level = ""
    return {
        "id": data.get("complaint"),
        "by": data.get("by", ""),
        "amount": data.get("amount", ""),
        "project": data.get("project") or "—",
        "level": level,
        "reason": str(REASONS.get(data.get("cause_code", ""), data.get("cause_code", ""))),
        "url": f"/complaints/{data.get('complaint')}/",
    }


def register_texts() -> None:
    texts.register_each(TOPIC, TEXTS, _values)


def _tell(event: str, people, complaint: Complaint, *, by, cause: str, **extra: Any) -> None:
    data = {
        "complaint": complaint.pk,
        "project": complaint.project,
        "level": complaint.level,
        "by": display_name(by) if by is not None else "",
        **extra,
    }
    kept_off = {p for p in people if access.is_complained_about(p, complaint)}  # never told of it
    notify.tell(event, set(people) - kept_off, by=by, data=data, topic=(TOPIC, complaint.pk), cause=cause)


def approval_requested(complaint: Complaint, *, by, proposal: int) -> None:
    """The rung above the complaint's level (those who may approve). `proposal` numbers the
    proposal, so a promise proposed again asks again."""
    people: set = set()
    for level in range(complaint.level + 1, Level.OUTSIDE_BODY):  # the nearest rung that has anyone
        people = {p for p in access.members_at(level) if access.may_approve(p, complaint)}
        if people:
            break
    _tell(
        "complaint_approval_requested",
        people,
        complaint,
        by=by,
        cause=f"complaint:{complaint.pk}:approval:{proposal}",
        amount=str(complaint.compensation),
    )


def escalated(complaint: Complaint, *, by, cause: str) -> None:
    _tell(
        "complaint_escalated",
        set(access.members_at(complaint.level)),
        complaint,
        by=by,
        cause=f"complaint:{complaint.pk}:level:{complaint.level}",
        cause_code=cause,
    )
