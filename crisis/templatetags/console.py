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
