"""A report to an authority as the document the authority files: PDF and Word, the art. 12 fields
in the regulation's order as a two-column form (the layout of the usual 事故快报表)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.documents import Document, DocumentUnavailable, Section, Table, to_docx, to_pdf
from crisis.authority import services as authority
from crisis.authority.models import ART12_FIELDS, AuthorityReport

from .review_documents import CONTENT_TYPES
from .views import _incident_or_404


def _value(report: AuthorityReport, name: str) -> str:
    value = getattr(report, name)
    if value is None or value == "":
        return "—"
    if name == "occurred_at":
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    return str(value)


def report_document(report: AuthorityReport) -> Document:
    labels = {f.name: str(f.verbose_name) for f in AuthorityReport._meta.fields}
    title = f"{report.get_kind_display()} · #{report.number}"
    if report.incident.exercise:
        title = "[" + _("Exercise") + "] " + title
    submitted = (
        [
            (_("Authority"), report.authority),
            (_("Channel"), report.get_channel_display()),
            (_("Received by"), report.received_by or "—"),
            (_("Submitted at"), date_format(timezone.localtime(report.submitted_at), "Y-m-d H:i")),
        ]
        if report.submitted_at
        else [(_("State"), report.get_state_display())]
    )
    rows = [[labels[name], _value(report, name)] for name in [*ART12_FIELDS, "other"]]
    missing = authority.missing_fields(report)
    sections = [Section(_("The report"), [Table([_("Item"), _("Content")], rows)])]
    if missing:
        sections.append(Section(_("Still missing"), [", ".join(labels[name] for name in missing)]))
    return Document(
        title=title,
        language=get_language() or "zh-hans",
        facts=[(_("Incident"), f"#{report.incident_id} {report.incident.title}"), *submitted],
        sections=sections,
        footer=_("Printed %(when)s.") % {"when": date_format(timezone.localtime(timezone.now()), "Y-m-d H:i")},
    )


def report_download(request: HttpRequest, pk: int, report_id: int, fmt: str) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    report = AuthorityReport.objects.filter(pk=report_id, incident=incident).select_related("incident").first()
    if report is None:
        raise Http404
    try:
        body = to_pdf(report_document(report)) if fmt == "pdf" else to_docx(report_document(report))
    except DocumentUnavailable:
        messages.error(
            request, _("PDF export needs the Pango library on the server (Debian: apt-get install libpango-1.0-0).")
        )
        return redirect("crisis:incident", pk=pk)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="authority-report-{pk}-{report.number}.{fmt}"'
    return response
