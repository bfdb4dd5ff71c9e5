"""Search across what the console holds: incidents, their timelines, statements and complaints.

Matching is by substring, which is what Chinese needs (no word boundaries: "脚手架" must find
"3号楼脚手架局部坍塌"), on both databases. On PostgreSQL, trigram GIN indexes (pg_trgm, created by
migration 0002 of crisis where the extension can be installed) make those LIKE '%…%' searches
use an index; SQLite scans, which is fine at its scale. Only what the searcher may see is found:
incidents by their visibility, statements and timelines through their incident, complaints as
complaint staff see them — never by the customer's name or phone, and never one that is about
the searcher.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from config.text import clean_text
from crisis.voice.models import Statement
from incidents.complaints import services as complaints
from incidents.models import Incident, TimelineEntry

MAX_QUERY = 100
PER_KIND = 20


def clean_query(value: Any) -> str:
    query = clean_text(value, "q", required=False, max_length=MAX_QUERY)
    if query and not query.strip("%_ "):
        raise ValidationError({"q": _("Search for words, not only wildcards.")})
    return query


def search(user, query: str) -> dict[str, list]:
    """What `user` may see that contains `query`, newest first, at most PER_KIND of each kind."""
    if not query:
        return {"incidents": [], "entries": [], "statements": [], "complaints": []}
    visible = Incident.objects.visible_to(user)
    incidents = visible.filter(Q(title__icontains=query) | Q(summary__icontains=query) | Q(location__icontains=query))
    entries = (
        TimelineEntry.objects.filter(incident__in=visible.values("pk"), text__icontains=query)
        .select_related("incident", "actor")
        .order_by("-at")
    )
    statements = (
        Statement.objects.filter(incident__in=visible.values("pk"))
        .filter(Q(title__icontains=query) | Q(body__icontains=query))
        .select_related("incident")
        .order_by("-created_at")
    )
    found_complaints = (
        complaints.visible_complaints(user)
        .exclude(complained_about=user)
        .filter(Q(description__icontains=query) | Q(project__icontains=query) | Q(wants__icontains=query))
        .order_by("-received_at")
    )
    return {
        "incidents": list(incidents.order_by("-declared_at")[:PER_KIND]),
        "entries": list(entries[:PER_KIND]),
        "statements": list(statements[:PER_KIND]),
        "complaints": list(found_complaints[:PER_KIND]),
    }
