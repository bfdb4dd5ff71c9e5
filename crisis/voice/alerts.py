"""Who is told of each review step of a statement or a Q&A line (issue 16).

`review.write` — the one place every step of the shared lifecycle is recorded — calls `review_step`
inside the step's transaction; notifications go out after commit. The commander learns that a
text waits for approval, the second (legal) reviewers that one waits for them, the drafter that
theirs was approved or rejected, and the drafter, the spokesperson and the commander that a
statement went out. Nobody is told of their own step.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents import permissions
from incidents.models import Incident
from incidents.notify import delivery as notify
from incidents.notify import texts
from incidents.timeline import display_name

from .models import QALine, ReviewedText, Statement, StatementState

TOPIC = "incident"

TEXTS = {
    "approval_requested": (
        _("Waiting for your approval: %(what)s"),
        _("%(by)s submitted %(what)s for %(incident)s. Approve it, or reject it with a comment. %(url)s"),
    ),
    "second_review_requested": (
        _("Second review needed: %(what)s"),
        _("%(by)s submitted %(what)s for %(incident)s; its template asks for your second review. %(url)s"),
    ),
    "statement_approved": (
        _("Approved: %(what)s"),
        _("%(by)s approved %(what)s for %(incident)s. %(url)s"),
    ),
    "statement_rejected": (
        _("Rejected: %(what)s"),
        _("%(by)s rejected %(what)s for %(incident)s: “%(comment)s”. %(url)s"),
    ),
    "statement_published": (
        _("Published: %(what)s"),
        _("%(by)s published %(what)s for %(incident)s. It is now the one voice for this audience. %(url)s"),
    ),
}


def _values(data: dict[str, Any]) -> dict[str, Any]:
    if data.get("line"):
        what = _("the Q&A line “%(title)s”") % {"title": data.get("title", "")}
    else:
        what = _("the statement to %(audience)s “%(title)s”") % {
            "audience": data.get("audience_label", ""),
            "title": data.get("title", ""),
        }
    return {
        "what": what,
        "by": data.get("by", ""),
        "incident": f"#{data.get('incident_id')} {data.get('incident_title', '')}",
        "comment": data.get("comment", ""),
        "url": data.get("url", ""),
    }


def register_texts() -> None:
    texts.register_each(TOPIC, TEXTS, _values)


def _second_reviewers(incident: Incident) -> set:
    """Who may give a second (legal) review and may see the incident."""
    perm = Permission.objects.filter(content_type__app_label="voice", codename="review_statement_legal")
    users = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm), is_active=True
    )
    return {u for u in users.distinct() if permissions.may_view(u, incident)}


def _data(incident: Incident, obj: ReviewedText, by, **extra: Any) -> dict[str, Any]:
    if isinstance(obj, QALine):
        words = {"line": obj.pk, "title": obj.question[:120], "url": f"/incidents/{incident.pk}/qa/manage/"}
    else:
        words = {
            "statement": obj.pk,
            "title": obj.title,
            "audience_label": str(obj.get_audience_display()),
            "url": f"/incidents/{incident.pk}/statements/{obj.pk}/",
        }
    return {
        "incident_id": incident.pk,
        "incident_title": incident.title,
        "by": display_name(by) if by is not None else "",
        **words,
        **extra,
    }


def _tell(
    event: str,
    people: set,
    incident: Incident,
    obj: ReviewedText,
    action: str,
    *,
    by,
    webhook: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    noun = "line" if isinstance(obj, QALine) else "statement"
    notify.tell(
        event,
        people,
        by=by,
        data=_data(incident, obj, by, **extra),
        topic=(TOPIC, incident.pk),
        # One notice per text, step and version: a text submitted again after a rejection is new.
        cause=f"{noun}:{obj.pk}:{action}:{obj.version}",
        webhook=webhook,
    )


def review_step(incident: Incident, obj: ReviewedText, action: str, *, by, text: str = "") -> None:
    if action == "submitted":
        _tell("approval_requested", {incident.commander}, incident, obj, action, by=by)
        if isinstance(obj, Statement) and obj.needs_second_review:
            _tell("second_review_requested", _second_reviewers(incident), incident, obj, action, by=by)
    elif action in ("approved", "second_review") and obj.state == StatementState.APPROVED:
        # Fully approved (a statement may still wait for its other reviewer); a line is now in force.
        _tell("statement_approved", {obj.drafted_by}, incident, obj, "approved", by=by)
    elif action == "rejected":
        _tell("statement_rejected", {obj.drafted_by}, incident, obj, action, by=by, comment=text)
    elif action == "published":
        people = {obj.drafted_by, incident.spokesperson, incident.commander}
        announcement = {
            "event": "statement.published",
            "incident": {"id": incident.pk, "title": incident.title},
            "statement": {"id": obj.pk, "audience": obj.audience, "title": obj.title},
        }
        _tell("statement_published", people, incident, obj, action, by=by, webhook=announcement)
