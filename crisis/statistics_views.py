"""The statistics page (统计分析): the figures of /api/metrics/ for a period, with charts drawn on
the server by pygal (SVG shown as images: no script runs, nothing is fetched) and each chart's
numbers as a table beside it, and the downloads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from urllib.parse import urlencode

from django import forms
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ValidationError

from config.errors import RuleBroken
from incidents.complaints.models import ComplaintCategory, ComplaintChannel, RootCause
from incidents.models import Severity
from playbooks.models import CrisisKind

from . import reports
from .charts import bar_chart
from .metrics import Period, complaint_metrics, incident_metrics
from .metrics_api import SEE_STATISTICS, period_of
from .models import PeriodicReport


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of crisis"), required=False, choices=[("", "—"), *CrisisKind.choices]
    )
    severity = forms.ChoiceField(label=gettext_lazy("Severity"), required=False, choices=[("", "—"), *Severity.choices])


def _in_own_connection(compute: Callable[[], dict]) -> dict:
    try:
        return compute()
    finally:
        connections.close_all()  # this thread's connections (back to the pool where there is one)


def side_by_side(first: Callable[[], dict], second: Callable[[], dict]) -> tuple[dict, dict]:
    """The incident and the complaint figures are independent reads: computed at the same time, each
    on its own connection, the page waits for the slower, not for both. Inside a transaction (a
    test's), another connection would not see its rows, so there they run one after the other."""
    if connection.in_atomic_block:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1) as pool:
        other = pool.submit(_in_own_connection, second)
        return first(), other.result()


def figures_context(incidents: dict, complaints: dict) -> dict:
    """What the statistics template shows of a set of figures (live, or a report's snapshot)."""
    kinds, channels = dict(CrisisKind.choices), dict(ComplaintChannel.choices)
    categories = dict(ComplaintCategory.choices)
    charts = [
        (_("Incidents by kind"), incidents["by_kind"], kinds),
        (_("Complaints by channel"), complaints["by_channel"], channels),
        (_("Complaints by category"), complaints["by_category"], categories),
        (_("Satisfaction (1–5)"), complaints["satisfaction"], {}),
        (_("Root causes"), complaints.get("by_root_cause", {}), dict(RootCause.choices)),
    ]
    return {
        "incidents": incidents,
        "complaints": complaints,
        "charts": [
            {
                "title": title,
                "image": bar_chart(title, labels, counts),
                "rows": [(labels.get(k, k or "—"), n) for k, n in counts.items()],
            }
            for title, counts, labels in charts
        ],
        "moments": [
            (_("Time to a commander"), incidents["time_to_commander_min"]),
            (_("Time to the first statement"), incidents["time_to_first_statement_min"]),
            (_("Time to the authority report"), incidents["time_to_authority_report_min"]),
            (_("Time to contain"), incidents["time_to_contain_min"]),
            (_("Time to resolve"), incidents["time_to_resolve_min"]),
        ],
    }


def statistics_page(request: HttpRequest) -> HttpResponse:
    SEE_STATISTICS.check(request.user)
    query = {"from": request.GET.get("start", ""), "to": request.GET.get("end", "")}
    errors: list[str] = []
    try:
        period = period_of(query)
    except ValidationError as exc:
        errors = [str(m) for messages in exc.detail.values() for m in messages]
        period = Period.last_days(30)
    kind = request.GET.get("kind", "") if request.GET.get("kind", "") in CrisisKind.values else ""
    raw = request.GET.get("severity", "")
    severity = int(raw) if raw in {str(v) for v in Severity.values} else None
    incidents, complaints = side_by_side(
        partial(incident_metrics, period, kind=kind, severity=severity), partial(complaint_metrics, period)
    )
    download = {"from": period.first.isoformat(), "to": period.last.isoformat()}
    if kind:
        download["kind"] = kind
    if severity:
        download["severity"] = severity
    return TemplateResponse(
        request,
        "crisis/statistics.html",
        {
            "form": PeriodForm(initial={"start": period.first, "end": period.last, "kind": kind, "severity": raw}),
            "errors": errors,
            "period": period,
            **figures_context(incidents, complaints),
            "downloads": {
                name: f"{reverse(route)}?{urlencode({**download, 'format': fmt})}"
                for name, route, fmt in (
                    ("incidents_xlsx", "metrics-incidents", "xlsx"),
                    ("incidents_csv", "metrics-incidents", "csv"),
                    ("complaints_xlsx", "metrics-complaints", "xlsx"),
                    ("complaints_csv", "metrics-complaints", "csv"),
                )
            },
        },
    )


# --- Periodic reports (每周/每月总结) -------------------------------------------------------------------


class ReportForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))


def reports_page(request: HttpRequest) -> HttpResponse:
    """The reports made so far, newest first, and a form to make one for any period."""
    SEE_STATISTICS.check(request.user)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            period = period_of(
                {"from": form.cleaned_data["start"].isoformat(), "to": form.cleaned_data["end"].isoformat()}
            )
            report = reports.make_report(period, by=request.user)
        except ValidationError as exc:
            for message in (m for messages in exc.detail.values() for m in messages):
                form.add_error(None, str(message))
        except RuleBroken as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("crisis:report", pk=report.pk)
    return TemplateResponse(
        request,
        "crisis/reports.html",
        {"form": form, "reports": PeriodicReport.objects.select_related("generated_by")[:100]},
        status=400 if form.errors else 200,
    )


def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    SEE_STATISTICS.check(request.user)
    report = get_object_or_404(PeriodicReport, pk=pk)
    return TemplateResponse(
        request,
        "crisis/statistics.html",
        {
            "report": report,
            "period": Period(report.starts_on, report.ends_on),
            **figures_context(report.incidents, report.complaints),
            "downloads": {"report_xlsx": reverse("crisis:report-xlsx", args=[report.pk])},
        },
    )


def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    SEE_STATISTICS.check(request.user)
    report = get_object_or_404(PeriodicReport, pk=pk)
    response = HttpResponse(reports.workbook(report), content_type=reports.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{reports.file_name(report)}"'
    return response
