"""The first pages (issue 16): declaring an incident tells the commander on duty for its kind —
and, for severity 1–2, the executives — and taking over command tells the new commander. Nobody is
told of their own action. Acknowledgement and escalation to the backup come next.

Runs inside the service's transaction; `notify.send` delivers after commit, once per person and
cause (the cause names the incident or the assignment, so a retried transaction cannot page twice)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Incident, Severity
from .notify import delivery as notify
from .notify import texts
from .oncall import roster

TOPIC = "incident"
EXECUTIVE_SEVERITIES = (Severity.CRITICAL, Severity.MAJOR)

DECLARED_TEXTS = (
    _("Incident declared: %(title)s"),
    _(
        "%(kind)s, severity %(severity)s, declared by %(by)s. You are on duty as commander: open the war "
        "room and take command, or hand it on. %(url)s"
    ),
)
DECLARED_INFORMED_TEXTS = (
    _("Incident declared: %(title)s"),
    _("%(kind)s, severity %(severity)s, declared by %(by)s. %(url)s"),
)
COMMAND_TEXTS = (
    _("You command: %(title)s"),
    _("%(by)s handed you command of this incident. %(url)s"),
)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data.get("incident_title", ""),
        "kind": data.get("kind_label", data.get("kind", "")),
        "severity": data.get("severity", ""),
        "by": data.get("by", ""),
        "url": f"/incidents/{data.get('incident_id', '')}/",
    }


def register_texts() -> None:
    texts.register(TOPIC, "incident_declared", texts.formatted(*DECLARED_TEXTS, _values))
    texts.register(TOPIC, "incident_declared_fyi", texts.formatted(*DECLARED_INFORMED_TEXTS, _values))
    texts.register(TOPIC, "command_handed_to_you", texts.formatted(*COMMAND_TEXTS, _values))


def _data(incident: Incident, by) -> dict[str, Any]:
    return {
        "incident_id": incident.pk,
        "incident_title": incident.title,
        "kind": incident.kind,
        "kind_label": str(incident.get_kind_display()),
        "severity": incident.severity,
        "by": (by.get_full_name() or by.username) if by is not None else "",
    }


def _executives() -> set:
    users = get_user_model().objects.filter(is_active=True, groups__name=settings.CRISIS_GROUP_EXECUTIVES)
    return set(users.distinct())


def incident_declared(incident: Incident, *, by) -> None:
    """Page the commander on duty for the incident's kind (unless a commander was named at once),
    and tell the executives of a severity 1–2 incident."""
    on_duty, _backup = roster.commanders_on_duty(incident.kind)
    paged = {on_duty} if on_duty is not None and incident.commander_id is None else set()
    paged.discard(by)
    informed = (_executives() if incident.severity in EXECUTIVE_SEVERITIES else set()) - paged - {by}
    data = _data(incident, by)
    webhook = {
        "event": "incident.declared",
        "incident": {"id": incident.pk, "title": incident.title, "kind": incident.kind, "severity": incident.severity},
    }
    if paged:
        notify.send(
            event="incident_declared",
            recipients=paged,
            data=data,
            topic=(TOPIC, incident.pk),
            cause=f"declared:{incident.pk}",
            webhook=webhook,
        )
        webhook = None  # one webhook per declaration
    if informed or webhook is not None:
        notify.send(
            event="incident_declared_fyi",
            recipients=informed,
            data=data,
            topic=(TOPIC, incident.pk),
            cause=f"declared-fyi:{incident.pk}",
            webhook=webhook,
        )


def command_handed(incident: Incident, *, to, by, assignment_id: int) -> None:
    """Tell the new commander, unless they took command themselves."""
    if to is None or to == by:
        return
    notify.send(
        event="command_handed_to_you",
        recipients=[to],
        data=_data(incident, by),
        topic=(TOPIC, incident.pk),
        cause=f"command:{assignment_id}",
    )
