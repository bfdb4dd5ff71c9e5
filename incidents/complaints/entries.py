"""The incident timeline's "complaint" entries: their data and how they read."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import ComplaintCategory, Level, Trigger


class ComplaintEntry(TypedDict):
    action: str  # "opened", "joined", "escalated", "closed"
    complaint: int
    category: str
    project: str
    level: NotRequired[int]
    rule: NotRequired[int]
    trigger: NotRequired[str]
    channel: NotRequired[str]
    vip: NotRequired[list[str]]
    wave: NotRequired[int]
    wave_complaints: NotRequired[list[int]]
    cause: NotRequired[str]


def _label(choices, code) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code or "?")


def describe(d: dict[str, Any], text: str) -> str:
    values = {
        "id": d.get("complaint"),
        "category": _label(ComplaintCategory, d.get("category")),
        "project": d.get("project") or "—",
        "trigger": _label(Trigger, d.get("trigger")),
        "level": _label(Level, d.get("level")),
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
