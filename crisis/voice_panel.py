"""The one-voice panel of the incident page: the current statement for each audience with its
history, the approval queue (with each draft's difference from the current statement), what is
approved and waiting to go out, and the drafts in progress.

The incident page calls `voice_context(request, incident)`, merges the result into its context and
includes "crisis/_voice_panel.html"; everything the partial reads sits under the `voice` key.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from incidents.models import Incident
from playbooks.models import Audience

from .voice import services
from .voice.models import QALine, QALineState, Statement, StatementState
from .voice.textdiff import diff_against


def voice_context(request: HttpRequest, incident: Incident, *, back_to: str | None = None) -> dict[str, Any]:
    """`back_to` is where the panel's forms return after acting: by default the incident page's
    panel (right even when the panel itself was fetched on its own, e.g. by htmx)."""
    user = request.user
    statements = list(
        Statement.objects.filter(incident=incident)
        .select_related("drafted_by", "approved_by", "second_reviewer", "published_by", "rejected_by")
        .order_by("-created_at", "-pk")
    )
    current = {s.audience: s for s in statements if s.state == StatementState.PUBLISHED}
    audiences = []
    for code, label in Audience.choices:
        published = sorted(
            (s for s in statements if s.audience == code and s.published_at is not None),
            key=lambda s: (s.published_at, s.pk),
            reverse=True,
        )
        audiences.append(
            {
                "code": code,
                "label": label,
                "current": current.get(code),
                "history": [s for s in published if s.state != StatementState.PUBLISHED],
            }
        )
    oldest_first = list(reversed(statements))
    queue = [s for s in oldest_first if s.state == StatementState.IN_REVIEW]
    ready = [s for s in oldest_first if s.state == StatementState.APPROVED]
    drafts = [s for s in statements if s.state in (StatementState.DRAFT, StatementState.REJECTED)]
    for statement in (*queue, *ready):
        statement.diff = diff_against(statement.title, statement.body, current.get(statement.audience))
    for statement in (*queue, *ready, *drafts):
        statement.actions = services.statement_actions(user, statement, incident)

    may_draft = services.may_draft(user, incident)
    may_approve = services.may_approve(user, incident)
    # Drafts and the queue are the PR desk's and the commander's work; everyone else sees the
    # current voice only, so that nobody repeats words that were never approved.
    works_on_voice = (
        may_draft or may_approve or services.may_publish(user, incident) or services.may_second_review(user, incident)
    )
    lines = QALine.objects.filter(incident=incident)
    return {
        "voice": {
            "incident": incident,
            "audiences": audiences,
            "queue": queue,
            "ready": ready,
            "drafts": drafts,
            "works_on_voice": works_on_voice,
            "may_draft": may_draft and incident.is_open,
            "may_approve": may_approve,
            "lines_in_force": lines.filter(state=QALineState.APPROVED).count(),
            "lines_in_review": lines.filter(state=QALineState.IN_REVIEW).count(),
            "next": back_to or reverse("crisis:incident", args=[incident.pk]) + "#voice",
        }
    }
