"""Moments as every input takes them: a date and time with a zone, within a sane range, and
always written out as RFC 3339.

Before 2000 nothing in this console happened, and dates far ahead are typing mistakes (or
probes); both are refused before any arithmetic — near the years 1 and 9999 converting zones
overflows, and before 1901 Asia/Shanghai's offset is local mean time (+08:05:43), which RFC 3339
cannot say and Celery's ETA parser drops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
AT_MOST_AHEAD = timedelta(days=5 * 366)
MOMENT_HELP = gettext_lazy("A date and time, ISO-8601 with a time zone (e.g. 2026-12-07T09:30:00+08:00).")


def range_error(value: datetime, *, earliest: datetime = EARLIEST, latest: datetime | None = None) -> str | None:
    """Why `value` is out of range, or None. `latest` defaults to five years from now."""
    latest = latest or timezone.now() + AT_MOST_AHEAD
    try:
        inside = earliest <= value <= latest
    except (OverflowError, TypeError):  # year 1 or 9999 with an offset; a naive value
        inside = False
    if inside:
        return None
    return _("Between %(earliest)s and %(latest)s.") % {
        "earliest": timezone.localtime(earliest).strftime("%Y-%m-%d %H:%M"),
        "latest": timezone.localtime(latest).strftime("%Y-%m-%d %H:%M"),
    }


class MomentField(serializers.DateTimeField):
    """ISO-8601 / RFC 3339 in, RFC 3339 out; a moment outside [earliest, now + ahead] is a 400.
    A form's "2026-12-07T09:30" (no zone) is read in the console's time zone."""

    def __init__(self, *, earliest: datetime = EARLIEST, ahead: timedelta = AT_MOST_AHEAD, **kwargs) -> None:
        self.earliest, self.ahead = earliest, ahead
        kwargs.setdefault("help_text", MOMENT_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]")
        error = range_error(moment, earliest=self.earliest, latest=timezone.now() + self.ahead)
        if error:
            raise serializers.ValidationError(error)
        return moment
