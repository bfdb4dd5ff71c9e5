"""How complaints read in the JSON API. Personal details come masked unless the reader handles the
complaint (and then the view is recorded); the service decides which."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from config.serializers import ModelSerializer

from ..serializers import UserSerializer
from . import services
from .access import mask_name, mask_phone
from .models import (
    Complaint,
    ComplaintAttachment,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintReply,
    EscalationRule,
)


class ComplaintDeadlineSerializer(ModelSerializer):
    class Meta:
        model = ComplaintDeadline
        fields = ["id", "kind", "level", "due_at", "state", "met_at", "breached_at"]


class ComplaintReplySerializer(ModelSerializer):
    moved_to_business_hours = serializers.BooleanField(read_only=True)

    class Meta:
        model = ComplaintReply
        fields = [
            "id",
            "method",
            "requested_for",
            "scheduled_for",
            "moved_to_business_hours",
            "urgent",
            "promised",
            "given",
            "done_at",
        ]


class ComplaintEventSerializer(ModelSerializer):
    actor = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "actor", "level", "state", "text", "data", "at"]


class ComplaintAttachmentSerializer(ModelSerializer):
    class Meta:
        model = ComplaintAttachment
        fields = ["id", "name", "size", "content_type", "uploaded_at"]


_INTAKE_FIELDS = [
    "id",
    "channel",
    "customer_name",
    "customer_phone",
    "unit",
    "project",
    "category",
    "complexity",
    "description",
    "wants",
    "vip",
    "injury_risk",
    "online_spread",
    "mass_complaint",
    "received_at",
    "state",
    "level",
    "incident",
]


class ComplaintSerializer(ModelSerializer):
    """One complaint in a list: personal details always masked (a list is not a reason to look)."""

    masked = serializers.SerializerMethodField()
    handler = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Complaint
        fields = [*_INTAKE_FIELDS, "handler", "masked"]

    def get_masked(self, complaint: Complaint) -> bool:
        return True

    def to_representation(self, complaint: Complaint) -> dict[str, Any]:
        data = super().to_representation(complaint)
        data.update(self._personal(complaint))
        return data

    def _personal(self, complaint: Complaint) -> dict[str, Any]:
        return {
            "customer_name": mask_name(complaint.customer_name),
            "customer_phone": mask_phone(complaint.customer_phone),
            "masked": True,
        }


class ComplaintDetailSerializer(ComplaintSerializer):
    """One complaint, whole: the handling form, its clocks, replies, attachments and log."""

    deadlines = ComplaintDeadlineSerializer(many=True, read_only=True)
    replies = ComplaintReplySerializer(many=True, read_only=True)
    attachments = ComplaintAttachmentSerializer(many=True, read_only=True)
    events = ComplaintEventSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    approved_by = UserSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Complaint
        fields = [
            *_INTAKE_FIELDS,
            "handler",
            "masked",
            "outside_body",
            "facts",
            "emotions",
            "root_cause",
            "options",
            "solution",
            "compensation",
            "approval_needed",
            "approved_by",
            "approved_at",
            "acknowledged_at",
            "implemented_at",
            "satisfaction",
            "closed_at",
            "deadlines",
            "replies",
            "attachments",
            "events",
            "allowed_actions",
        ]

    def get_allowed_actions(self, complaint: Complaint) -> list[str]:
        return services.allowed_actions(complaint, self.context["request"].user)

    def _personal(self, complaint: Complaint) -> dict[str, Any]:
        return services.personal_details(complaint, self.context["request"].user, via="api")


class IntakeSerializer(serializers.Serializer):
    """The intake body (for the schema; the service validates it, for forms and API alike)."""

    channel = serializers.CharField()
    category = serializers.CharField()
    description = serializers.CharField()
    customer_name = serializers.CharField(required=False)
    customer_phone = serializers.CharField(required=False)
    unit = serializers.CharField(required=False)
    project = serializers.CharField(required=False)
    complexity = serializers.CharField(required=False)
    wants = serializers.CharField(required=False)
    vip = serializers.ListField(child=serializers.CharField(), required=False)
    injury_risk = serializers.BooleanField(required=False)
    online_spread = serializers.BooleanField(required=False)
    mass_complaint = serializers.BooleanField(required=False)
    received_at = serializers.DateTimeField(required=False)


class StepSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    facts = serializers.CharField(required=False, allow_blank=True)
    emotions = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    options = serializers.CharField(required=False, allow_blank=True)
    solution = serializers.CharField(required=False, allow_blank=True)
    compensation = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    satisfaction = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    outside_body = serializers.CharField(required=False, allow_blank=True)


class ReplyRequestSerializer(serializers.Serializer):
    method = serializers.CharField()
    at = serializers.DateTimeField()
    urgent = serializers.BooleanField(required=False)
    promised = serializers.CharField(required=False, allow_blank=True)


class ReplyGivenSerializer(serializers.Serializer):
    given = serializers.CharField()


class EscalationRuleSerializer(ModelSerializer):
    class Meta:
        model = EscalationRule
        fields = [
            "id",
            "name_zh",
            "name_en",
            "trigger",
            "enabled",
            "order",
            "crisis_kind",
            "severity",
            "opens_in_triage",
            "vip_flags",
            "threshold",
            "window_hours",
        ]
