"""The review (复盘) as a document for executives and regulators: PDF and Word, in the reader's
language, saying exactly what the review page says (both are built from `review_data`)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.documents import Document, DocumentUnavailable, Items, Section, Table, to_docx, to_pdf
from config.errors import RuleBroken
from crisis.reviews import services as reviews
from crisis.reviews.data import review_data
from crisis.reviews.models import Review, ReviewState

from .views import _incident_or_404

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _at(moment: datetime | None) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else "—"


def _num(value) -> str:
    return "—" if value is None else str(value)


def _feedback_line(feedback: dict) -> str:
    rating = f" · {feedback['rating']}/5" if feedback["rating"] else ""
    return f"{feedback['author']['name']}{rating}: {feedback['text']}"


def review_document(review: Review) -> Document:
    incident = review.incident
    data = review_data(review)
    title = _("After-action review") + f" · #{incident.pk} {incident.title}"
    if incident.exercise:
        title = "[" + _("Exercise") + "] " + title
    signed = (
        _("Signed off by %(who)s, %(when)s") % {"who": data["signed_off_by"]["name"], "when": _at(review.signed_off_at)}
        if review.state == ReviewState.SIGNED_OFF
        else _("Not signed off yet")
    )
    facts = [
        (_("Incident"), f"#{incident.pk} {incident.title}"),
        (_("Kind"), incident.get_kind_display()),
        (_("Severity"), incident.get_severity_display()),
        (_("Detected at"), _at(incident.detected_at)),
        (_("Review"), signed),
    ]
    moments = Table(
        [_("Moment"), _("When"), _("Minutes"), _("Target")],
        [
            [m["label"], _at(m["at"]), _num(m["minutes_from_detection"]), _num(m["target_minutes"])]
            for m in data["key_moments"]
        ],
    )
    counts = data["deadlines"]
    deadlines = Items(
        [
            f"{_('met on time')}: {counts['met_on_time']}",
            f"{_('met late')}: {counts['met_late']}",
            f"{_('missed')}: {counts['breached']}",
            f"{_('waived')}: {counts['waived']}",
            *([f"{_('left open')}: {counts['open']}"] if counts["open"] else []),
        ]
    )
    record = Section(
        _("Key moments"), [_("In minutes from detection; the target is when the playbook expected it."), moments]
    )
    record.blocks += [_("Our deadlines"), deadlines]
    if data["pinned"]:
        record.blocks += [_("Decisions"), Items([f"{_at(p['at'])} {p['text']}" for p in data["pinned"]])]
    learned = Section(
        _("What we learned"),
        [
            Table(
                [_("Question"), _("Answer")],
                [
                    [_("What was planned"), review.planned or "—"],
                    [_("What happened"), review.happened or "—"],
                    [_("Why the two differed"), review.why or "—"],
                    [_("What to keep doing"), review.keep or "—"],
                    [_("What to change"), review.change or "—"],
                    [_("How the response went (1–5)"), _num(review.rating)],
                ],
            )
        ],
    )
    feedback = Section(
        _("Feedback from those who took part"),
        [Items([_feedback_line(f) for f in data["feedback"]]) if data["feedback"] else _("No feedback yet.")],
    )
    actions = Section(
        _("Action items"),
        [
            Table(
                [_("What to do"), _("Owner"), _("Due"), _("State")],
                [
                    [a.title, a.owner.get_full_name() or a.owner.get_username(), _at(a.due_at), a.get_state_display()]
                    for a in review.actions.select_related("owner").order_by("due_at", "pk")
                ],
            )
            if review.actions.exists()
            else _("No action items yet.")
        ],
    )
    sections = [record, learned, feedback, actions]
    if review.evaluation:
        answer = {True: _("Yes"), False: _("No"), None: _("Not judged")}
        sections.insert(
            2,
            Section(
                _("Evaluation sheet (演练评估表)"),
                [
                    Table(
                        [_("Question"), _("Answer"), _("Note")],
                        [[row["question"], answer[row["met"]], row["note"]] for row in review.evaluation],
                    )
                ],
            ),
        )
    return Document(
        title=title,
        language=get_language() or "zh-hans",
        facts=facts,
        sections=sections,
        footer=_("What, not who: this review is about how the response went, not about people.")
        + " "
        + _("Printed %(when)s.") % {"when": _at(timezone.now())},
    )


def review_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """`/incidents/<pk>/review.pdf` and `.docx`: whoever may read the review may take it away."""
    _incident_or_404(request, pk)
    try:
        review = reviews.review_of(pk, request.user)
    except RuleBroken as exc:  # not closed yet: the same answer as the review page
        messages.info(request, exc.message)
        return redirect("crisis:incident", pk=pk)
    document = review_document(review)
    try:
        body = to_pdf(document) if fmt == "pdf" else to_docx(document)
    except DocumentUnavailable:
        return HttpResponse(
            _("PDF export needs the Pango library on the server (Debian: apt-get install libpango-1.0-0)."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="review-{pk}.{fmt}"'
    return response
