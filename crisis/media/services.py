"""The media log's command and what the timeline says of it.

Logging an item: find the incident (404 to whoever may not see it), lock it, check who may (those
who may add notes), validate (a Q&A line or statement it is tied to must be this incident's; an
address must be http or https), write, and put it on the timeline. A journalist's enquiry with a
call-back time becomes the company's own promise — a deadline for the media audience, reminded and
escalated to the commander and the spokesperson like every promise."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from config.text import clean_text
from crisis.voice.models import QALine, Statement
from incidents import services as incident_services
from incidents.policy import ADD_NOTE
from incidents.services import get_visible_incident
from incidents.timeline import lock_incident, record

from .models import MediaItem, MediaKind, Platform, Sentiment

ENTRY = "media"


class MediaEntry(TypedDict):
    item: int
    kind: str
    platform: str
    summary: str
    reach: int | None
    sentiment: str
    rumour: bool
    callback_due: NotRequired[str]


def describe(data: dict[str, Any], text: str) -> str:
    platform = dict(Platform.choices).get(data.get("platform", ""), data.get("platform", ""))
    if data.get("kind") == MediaKind.ENQUIRY:
        return _("Journalist's enquiry (%(platform)s): %(summary)s") % {
            "platform": platform,
            "summary": data.get("summary", ""),
        }
    label = _("Rumour") if data.get("rumour") else dict(MediaKind.choices).get(data.get("kind", ""), "")
    reach = data.get("reach")
    said = _("%(label)s on %(platform)s: %(summary)s") % {
        "label": label,
        "platform": platform,
        "summary": data.get("summary", ""),
    }
    return said + (" " + _("(reach %(n)s)") % {"n": reach} if reach else "")


def log_item(
    incident_id: int,
    *,
    by,
    kind: str,
    platform: str,
    summary: str,
    url: str = "",
    author: str = "",
    outlet: str = "",
    reach: int | None = None,
    sentiment: str = Sentiment.NEUTRAL,
    rumour: bool = False,
    answered_by: QALine | None = None,
    rebutted_by: Statement | None = None,
    seen_at: datetime | None = None,
    callback_by: datetime | None = None,
) -> MediaItem:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    texts = (("summary", summary, 5000, True), ("author", author, 200, kind == MediaKind.ENQUIRY),
             ("outlet", outlet, 200, False))  # fmt: skip
    for name, value, limit, required in texts:
        try:
            values[name] = clean_text(value or "", name, required=required, max_length=limit)
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    if kind not in MediaKind.values:
        errors["kind"] = _("Unknown kind.")
    if platform not in Platform.values:
        errors["platform"] = _("Unknown platform.")
    if sentiment not in Sentiment.values:
        errors["sentiment"] = _("Unknown sentiment.")
    if url and not url.lower().startswith(("http://", "https://")):
        errors["url"] = _("An address that starts with http:// or https://.")
    if answered_by is not None and answered_by.incident_id != incident_id:
        errors["answered_by"] = _("A Q&A line of this incident.")
    if rebutted_by is not None and rebutted_by.incident_id != incident_id:
        errors["rebutted_by"] = _("A statement of this incident.")
    now = timezone.now()
    if seen_at is not None and seen_at > now + incident_services.DETECTION_SKEW:
        errors["seen_at"] = _("It cannot have been seen in the future.")
    if callback_by is not None and kind != MediaKind.ENQUIRY:
        errors["callback_by"] = _("Only an enquiry has a call-back.")
    if errors:
        raise ValidationError(errors)
    get_visible_incident(incident_id, by)
    with transaction.atomic():
        incident = lock_incident(incident_id)
        ADD_NOTE.check(by, incident)
        callback = None
        if callback_by is not None:  # our promise: a deadline like any other
            callback = incident_services.record_promised(
                incident_id,
                by=by,
                audience="media",
                promise=_("Call back %(who)s") % {"who": values["author"]},
                due_at=callback_by,
                to_whom=values["outlet"],
            )
            incident = lock_incident(incident_id)  # the promise wrote to the timeline: the row as it is now
        item = MediaItem.objects.create(
            incident=incident, kind=kind, platform=platform, url=url, reach=reach, sentiment=sentiment,
            rumour=bool(rumour), answered_by=answered_by, rebutted_by=rebutted_by, seen_at=seen_at or now,
            logged_by=by, callback=callback, **values,
        )  # fmt: skip
        data: dict[str, Any] = {
            "item": item.pk, "kind": kind, "platform": platform, "summary": values["summary"][:200],
            "reach": reach, "sentiment": sentiment, "rumour": bool(rumour),
        }  # fmt: skip
        if callback is not None:
            data["callback_due"] = callback.due_at.isoformat()
        record(incident, ENTRY, actor=by, data=data)
    return item


def reach_over_time(incident_id: int) -> list[tuple[datetime, int]]:
    """The reach logged so far, added up in the order it was seen: (moment, total)."""
    total, points = 0, []
    for seen_at, reach in (
        MediaItem.objects.filter(incident_id=incident_id, reach__isnull=False)
        .order_by("seen_at", "pk")
        .values_list("seen_at", "reach")
    ):
        total += reach
        points.append((seen_at, total))
    return points


def totals(incident_id: int) -> dict[str, Any]:
    items = MediaItem.objects.filter(incident_id=incident_id)
    return {
        "items": items.count(),
        "reach": items.aggregate(n=Sum("reach"))["n"] or 0,
        "negative": items.filter(sentiment=Sentiment.NEGATIVE).count(),
        "rumours": items.filter(rumour=True).count(),
        "rumours_unanswered": items.filter(rumour=True, answered_by__isnull=True, rebutted_by__isnull=True).count(),
        "enquiries": items.filter(kind=MediaKind.ENQUIRY).count(),
    }
