"""The incident timeline's "authority_report" entries: each report drafted and submitted."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import ReportChannel

from .models import ReportKind

ENTRY = "authority_report"


class AuthorityReportEntry(TypedDict):
    action: str  # drafted, submitted
    report: int
    number: int
    kind: str
    authority: NotRequired[str]
    channel: NotRequired[str]
    received_by: NotRequired[str]
    at: NotRequired[str]
    late: NotRequired[bool]


def describe(data: dict[str, Any], text: str) -> str:
    kind = dict(ReportKind.choices).get(data.get("kind", ""), data.get("kind", ""))
    if data.get("action") == "submitted":
        channel = dict(ReportChannel.choices).get(data.get("channel", ""), data.get("channel", ""))
        said = _("%(kind)s no. %(n)s submitted to %(authority)s (%(channel)s)") % {
            "kind": kind, "n": data.get("number"), "authority": data.get("authority", ""), "channel": channel,
        }  # fmt: skip
        return said + (" — " + _("late") if data.get("late") else "")
    return _("%(kind)s no. %(n)s drafted") % {"kind": kind, "n": data.get("number")}


KINDS = [(ENTRY, gettext_lazy("Report to an authority"), describe, AuthorityReportEntry)]
