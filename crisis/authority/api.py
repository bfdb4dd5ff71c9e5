"""/api/ endpoints of reports to authorities."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.commands import validated
from config.dates import MomentField
from incidents.models import ReportChannel
from incidents.services import get_visible_incident

from . import services
from .models import ART12_FIELDS, AuthorityReport, ReportKind


class ReportSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    missing_fields = serializers.SerializerMethodField(help_text="The art. 12 fields still empty.")
    channel = serializers.ChoiceField(choices=ReportChannel.choices, allow_blank=True, read_only=True)
    late = serializers.SerializerMethodField(help_text="Submitted after the reporting deadline it met.")

    class Meta:
        model = AuthorityReport
        fields = ["id", "incident", "number", "kind", "kind_label", "state", *ART12_FIELDS, "other", "created_by",
                  "created_at", "authority", "channel", "received_by", "submitted_at", "submitted_by", "deadline",
                  "missing_fields", "late"]  # fmt: skip
        read_only_fields = fields

    def get_missing_fields(self, report) -> list[str]:
        return services.missing_fields(report)

    def get_late(self, report) -> bool:
        return services.is_late(report)


class ReportWriteSerializer(serializers.ModelSerializer):
    """Any of the report's fields; a draft may be incomplete, a submission may not."""

    kind = serializers.ChoiceField(
        choices=ReportKind.choices,
        required=False,
        label=_("Kind of report"),
        help_text=_("Empty: a flash report first, follow-ups after."),
    )
    occurred_at = MomentField(
        required=False,
        allow_null=True,
        label=_("When it happened (to the minute)"),
        help_text=_("Pre-filled with the detection time; correct it when the accident happened earlier."),
    )

    class Meta:
        model = AuthorityReport
        fields = ["kind", *ART12_FIELDS, "other"]
        extra_kwargs = {name: {"required": False} for name in [*ART12_FIELDS, "other"]}


class SubmitSerializer(serializers.Serializer):
    authority = serializers.CharField(max_length=200)
    channel = serializers.ChoiceField(choices=[c for c in ReportChannel.choices if c[0] != ReportChannel.STATEMENT])
    received_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    at = MomentField(required=False, allow_null=True, default=None, help_text="When it was made; now if left out.")


class IncidentReports(APIView):
    @extend_schema(responses=ReportSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        reports = AuthorityReport.objects.filter(incident=incident).select_related("deadline").order_by("number")
        return Response(ReportSerializer(reports, many=True).data)

    @extend_schema(request=ReportWriteSerializer, responses={201: ReportSerializer})
    def post(self, request: Request, pk: int) -> Response:
        report = services.create_report(pk, by=request.user, **validated(ReportWriteSerializer, request.data))
        return Response(ReportSerializer(report).data, status=201)


class ReportDetail(APIView):
    def _visible(self, request: Request, pk: int) -> AuthorityReport:
        report = AuthorityReport.objects.select_related("deadline").get(pk=pk)
        get_visible_incident(report.incident_id, request.user)
        return report

    @extend_schema(responses=ReportSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(ReportSerializer(self._visible(request, pk)).data)

    @extend_schema(request=ReportWriteSerializer, responses=ReportSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        self._visible(request, pk)
        report = services.edit_report(pk, by=request.user, **validated(ReportWriteSerializer, request.data))
        return Response(ReportSerializer(report).data)


class ReportSubmit(APIView):
    @extend_schema(request=SubmitSerializer, responses=ReportSerializer)
    def post(self, request: Request, pk: int) -> Response:
        incident_id = AuthorityReport.objects.values_list("incident_id", flat=True).get(pk=pk)
        get_visible_incident(incident_id, request.user)
        report = services.submit_report(pk, by=request.user, **validated(SubmitSerializer, request.data))
        return Response(ReportSerializer(report).data)


class ReportChanges(APIView):
    """What this version changed against the one before it (or `?against=ID` of the same incident)."""

    @extend_schema(responses=serializers.ListSerializer(child=serializers.DictField()))
    def get(self, request: Request, pk: int) -> Response:
        report = ReportDetail()._visible(request, pk)
        others = AuthorityReport.objects.filter(incident=report.incident_id)
        raw = request.query_params.get("against", "")
        if raw:
            if not raw.isdigit():
                raise serializers.ValidationError({"against": ["Must be a report's id."]})
            before = others.get(pk=int(raw))
        else:
            before = others.filter(number__lt=report.number).order_by("-number").first()
        if before is None:
            return Response([])
        return Response(
            [
                {**change, "before": _plain(change["before"]), "after": _plain(change["after"])}
                for change in services.changes(before, report)
            ]
        )


def _plain(value):
    return value if value is None or isinstance(value, (str, int)) else str(value)
