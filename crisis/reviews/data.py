"""The review as one structure, for the API and the page alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from incidents import permissions, timeline
from incidents.models import TimelineEntry
from incidents.services import pinned_seqs

from .models import Review, ReviewAction
from .moments import deadline_counts, key_moments
from .serializers import ActionSerializer, FeedbackSerializer


def actions_visible_to(user) -> QuerySet[ReviewAction]:
    """Action items of the incidents `user` may see (and their own, wherever they come from)."""
    queryset = ReviewAction.objects.select_related("owner", "review__incident")
    if permissions.sees_restricted(user):
        return queryset
    return queryset.filter(
        Q(review__incident__restricted=False) | Q(owner=user) | Q(review__incident__reported_by=user)
    )


def pinned_decisions(incident) -> list[dict[str, Any]]:
    seqs = pinned_seqs(incident)
    entries = {e.seq: e for e in TimelineEntry.objects.filter(incident=incident, seq__in=seqs)}
    return [
        {
            "seq": seq,
            "at": entries[seq].at,
            "text": timeline.describe(entries[seq].kind, entries[seq].data, entries[seq].text),
        }
        for seq in seqs
        if seq in entries
    ]


def review_data(review: Review) -> dict[str, Any]:
    incident = review.incident
    actions = review.actions.select_related("owner", "review").order_by("due_at", "pk")
    return {
        "incident": incident.pk,
        "state": review.state,
        "key_moments": [m.as_dict() for m in key_moments(incident)],
        "deadlines": deadline_counts(incident).as_dict(),
        "pinned": pinned_decisions(incident),
        **{
            name: getattr(review, name)
            for name in ("planned", "happened", "why", "keep", "change", "rating", "evaluation")
        },
        "opened_at": review.opened_at,
        "signed_off_by": timeline.person(review.signed_off_by),
        "signed_off_at": review.signed_off_at,
        "feedback": FeedbackSerializer(review.feedback.select_related("author"), many=True).data,
        "actions": ActionSerializer(actions, many=True).data,
    }
