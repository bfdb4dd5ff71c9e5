"""/api/metrics/: the statistics as JSON, or as a download (`?format=xlsx` or `?format=csv`) of
the same figures, one row per figure ("by_kind.site_safety" for a breakdown)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from openpyxl import Workbook
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.commands import Permission
from incidents import permissions
from incidents.models import Severity
from playbooks.models import CrisisKind

from .metrics import Period, complaint_metrics, incident_metrics

# Statistics cover every incident, restricted ones included: only those who may see those.
SEE_STATISTICS = Permission(
    lambda user, _target: permissions.is_admin(user) or permissions.sees_restricted(user),
    gettext_lazy("Only admins and executives may see the statistics."),
)
# The days a period may name: any a company's record could hold (and none a date overflows at).
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def rows(figures: dict[str, Any]) -> list[tuple[str, Any]]:
    flat: list[tuple[str, Any]] = []
    for key, value in figures.items():
        if isinstance(value, dict):
            flat += [(f"{key}.{sub}", v) for sub, v in value.items()]
        else:
            flat.append((key, value))
    return flat


def workbook(sheets: list[tuple[str, dict[str, Any]]]) -> bytes:
    """Figures as a spreadsheet: one sheet per (title, figures), one row per figure."""
    book = Workbook()
    book.remove(book.active)
    for title, figures in sheets:
        sheet = book.create_sheet(title)
        sheet.append([_("figure"), _("value")])
        for row in rows(figures):
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class XLSXRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return workbook([("metrics", data)])


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([_("figure"), _("value")])
        writer.writerows(rows(data))
        return "\ufeff" + out.getvalue()  # a byte-order mark, so that Excel reads the Chinese right


def period_of(params: Mapping[str, str]) -> Period:
    """The period that `from` and `to` name (days, both included), or a ValidationError (400)."""
    errors = {}
    values = {}
    for name in ("from", "to"):
        raw = params.get(name, "")
        if raw:
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = [_("A date as YYYY-MM-DD.")]
            else:
                if not EARLIEST <= values[name] <= LATEST:
                    errors[name] = [_("A day between 2000 and 2100.")]
    if errors:
        raise ValidationError(errors)
    default = Period.last_days(30)
    period = Period(values.get("from", default.first), values.get("to", default.last))
    if period.first > period.last:
        raise ValidationError({"from": [_("The period starts after it ends.")]})
    return period


# What a metrics endpoint answers: the figures as JSON, or the same as a download.
RESPONSES = {
    (200, "application/json"): OpenApiTypes.OBJECT,
    (200, XLSXRenderer.media_type): OpenApiTypes.BINARY,
    (200, CSVRenderer.media_type): OpenApiTypes.STR,
}
PERIOD_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 30 days ago)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)."),
    OpenApiParameter("format", str, enum=["json", "xlsx", "csv"], description="A download instead of JSON."),
]


class MetricsView(APIView):
    renderer_classes = [JSONRenderer, XLSXRenderer, CSVRenderer]

    def perform_content_negotiation(self, request, force=False):
        # An unknown format is bad input naming the parameter (400), not DRF's "not found".
        wanted = request.query_params.get("format")
        if not force and wanted and wanted not in {r.format for r in self.renderer_classes}:
            raise ValidationError({"format": [_("One of: json, xlsx, csv.")]})
        return super().perform_content_negotiation(request, force=force)

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:  # an error is JSON whatever download was asked for
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        if response.status_code == 200 and renderer is not None and renderer.format in ("xlsx", "csv"):
            name = (
                f"{self.name_for_download}-{request.query_params.get('from', '')}-{request.query_params.get('to', '')}"
            )
            response["Content-Disposition"] = f'attachment; filename="{name.strip("-")}.{renderer.format}"'
        return response


class IncidentMetrics(MetricsView):
    """How fast and how well incidents were handled in a period (exercises never count)."""

    name_for_download = "incident-metrics"

    @extend_schema(
        parameters=[
            *PERIOD_PARAMETERS,
            OpenApiParameter("kind", str, enum=CrisisKind.values),
            OpenApiParameter("severity", int, enum=Severity.values),
        ],
        responses=RESPONSES,
    )
    def get(self, request: Request) -> Response:
        SEE_STATISTICS.check(request.user)
        period = period_of(request.query_params)
        kind = request.query_params.get("kind", "")
        if kind and kind not in CrisisKind.values:
            raise ValidationError({"kind": [_("Unknown kind of crisis.")]})
        raw = request.query_params.get("severity", "")
        if raw and raw not in {str(v) for v in Severity.values}:
            raise ValidationError({"severity": [_("Severity must be 1 (most severe) to 4.")]})
        return Response(incident_metrics(period, kind=kind, severity=int(raw) if raw else None))


class ComplaintMetrics(MetricsView):
    """How complaints were held to their limits in a period."""

    name_for_download = "complaint-metrics"

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=RESPONSES)
    def get(self, request: Request) -> Response:
        SEE_STATISTICS.check(request.user)
        return Response(complaint_metrics(period_of(request.query_params)))
