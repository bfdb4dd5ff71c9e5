"""The reports to authorities of one incident (事故快报 / 续报): each version with what it still
lacks, its files and its submission; a form for the next version (pre-filled from the last) and one
to submit a draft. Each form calls one command of crisis.authority."""

from __future__ import annotations

from functools import partial

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from config.forms import DATETIME_LOCAL, SerializerForm
from crisis.authority import services as authority
from crisis.authority.api import ReportWriteSerializer, SubmitSerializer
from crisis.authority.models import ART12_FIELDS, AuthorityReport, ReportState
from incidents.policy import MEET_DEADLINE

from .service_calls import submit
from .views import _incident_or_404

LONG = ("licences", "scene", "sequence", "possible_casualties", "measures", "other")


class ReportForm(SerializerForm):
    serializer_class = ReportWriteSerializer
    widgets = {"occurred_at": DATETIME_LOCAL, **{name: forms.Textarea(attrs={"rows": 3}) for name in LONG}}


class SubmitForm(SerializerForm):
    serializer_class = SubmitSerializer
    widgets = {"at": DATETIME_LOCAL}


def reports_page(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident_or_404(request, pk)
    reports = list(AuthorityReport.objects.filter(incident=incident).select_related("deadline").order_by("-number"))
    may_write = MEET_DEADLINE(request.user, incident) and incident.is_open
    labels = {f.name: f.verbose_name for f in AuthorityReport._meta.fields}
    latest = reports[0] if reports else None
    draft = latest if latest is not None and latest.state == ReportState.DRAFT else None
    initial = {name: getattr(draft, name) for name in [*ART12_FIELDS, "other"]} if draft else None
    return TemplateResponse(
        request,
        "crisis/authority_reports.html",
        {
            "incident": incident,
            "reports": [
                {
                    "report": r,
                    "missing": [labels[name] for name in authority.missing_fields(r)],
                    "late": authority.is_late(r),
                    "rows": [(labels[name], getattr(r, name)) for name in [*ART12_FIELDS, "other"]],
                }
                for r in reports
            ],
            "draft": draft,
            "form": ReportForm(initial=initial) if may_write else None,
            "submit_form": SubmitForm() if may_write and draft else None,
        },
    )


def reports_write(request: HttpRequest, pk: int) -> HttpResponse:
    _incident_or_404(request, pk)
    if request.method == "POST":
        form = ReportForm(request.POST)
        draft = AuthorityReport.objects.filter(incident_id=pk, state=ReportState.DRAFT).order_by("-number").first()
        if draft is not None:  # the draft is edited until it is submitted
            submit(request, form, partial(authority.edit_report, draft.pk, by=request.user), _("The report is saved."))
        else:
            submit(request, form, partial(authority.create_report, pk, by=request.user), _("The report is saved."))
    return redirect("crisis:authority-reports", pk=pk)


def reports_submit(request: HttpRequest, pk: int, report_id: int) -> HttpResponse:
    _incident_or_404(request, pk)
    if request.method == "POST" and AuthorityReport.objects.filter(pk=report_id, incident_id=pk).exists():
        submit(
            request,
            SubmitForm(request.POST),
            partial(authority.submit_report, report_id, by=request.user),
            _("The report is recorded as submitted."),
        )
    return redirect("crisis:authority-reports", pk=pk)
