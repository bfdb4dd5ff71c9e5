"""Template filters of the console."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


@register.filter
def when(moment: datetime | None) -> str:
    """A time as people read it on a clock: the time alone today, with the date on any other day
    (a step due in thirteen days must not read like one due this afternoon)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "m-d H:i")


# What counts as a decision on the timeline: a change of status, of command or of roles, a text
# that went out or was approved, the answer to a page (live.js keeps the same list).
DECISION_KINDS = frozenset(
    {"transition", "command_handover", "role_assigned", "role_ended", "statement", "qa_line", "page_acknowledged"}
)


@register.filter
def entry_classes(entry) -> str:
    """CSS classes by which the timeline is filtered: whose entry it is, and whether it is a decision."""
    classes = ["by-person" if entry.actor_id else "by-system"]
    if entry.kind in DECISION_KINDS:
        classes.append("decision")
    return " ".join(classes)


@register.filter
def in_chinese(text: str | None) -> bool:
    """Whether a text is written in Chinese (the legal sources are quoted as enacted)."""
    return any("\u4e00" <= char <= "\u9fff" for char in (text or ""))
