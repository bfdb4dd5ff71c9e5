"""How complaints read in the JSON API. Personal details come masked unless the reader handles the
complaint (and then the view is recorded); the service decides which."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
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
    ReportClass,
    RootCause,
    TimeLimitProfile,
)


def _active_users():
    return get_user_model().objects.filter(is_active=True)


class TimeLimitProfileSerializer(ModelSerializer):
    class Meta:
        model = TimeLimitProfile
        fields = ["id", "name", "day_unit", "extension_limit_days"]
        read_only_fields = fields


class ComplaintDeadlineSerializer(ModelSerializer):
    class Meta:
        model = ComplaintDeadline
        fields = ["id", "kind", "level", "due_at", "state", "met_at", "breached_at"]


class ComplaintReplySerializer(ModelSerializer):
    moved_to_business_hours = serializers.BooleanField(read_only=True)
    needs_confirmation = serializers.BooleanField(
        read_only=True, help_text=_("A written reply goes only with a text a manager confirmed.")
    )
    is_confirmed = serializers.BooleanField(read_only=True, help_text=_("Its current text is the confirmed one."))
    confirmed_by = UserSerializer(read_only=True, allow_null=True)

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
            "text",
            "needs_confirmation",
            "is_confirmed",
            "confirmed_text",
            "confirmed_by",
            "confirmed_at",
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
    "complained_about",
    "state",
    "level",
    "incident",
]


class ComplaintSerializer(ModelSerializer):
    """One complaint in a list: personal details always masked (a list is not a reason to look)."""

    masked = serializers.SerializerMethodField()
    handler = UserSerializer(read_only=True, allow_null=True)
    complained_about = UserSerializer(read_only=True, allow_null=True)

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
    time_limits = TimeLimitProfileSerializer(read_only=True, allow_null=True)

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
            "root_cause_category",
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
            "report_class",
            "reported_to",
            "report_text",
            "reported_at",
            "time_limits",
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
    complained_about = serializers.PrimaryKeyRelatedField(
        queryset=_active_users(),
        required=False,
        allow_null=True,
        help_text=_("The staff member the complaint is about (an active user's id): kept off the case."),
    )


class StepSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    facts = serializers.CharField(required=False, allow_blank=True)
    emotions = serializers.CharField(required=False, allow_blank=True)
    root_cause = serializers.CharField(required=False, allow_blank=True)
    root_cause_category = serializers.ChoiceField(choices=RootCause.choices, required=False, allow_blank=True)
    options = serializers.CharField(required=False, allow_blank=True)
    solution = serializers.CharField(required=False, allow_blank=True)
    compensation = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    satisfaction = serializers.IntegerField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True)
    outside_body = serializers.CharField(required=False, allow_blank=True)
    report_class = serializers.ChoiceField(
        choices=ReportClass.choices,
        required=False,
        help_text=_("Closing: 1 = category 1, the supervisor was told orally; 2 = category 2, a written report."),
    )
    reported_to = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Closing: who was told (required for category 1).")
    )
    report_text = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Closing: the written report (required for category 2).")
    )


class ReplyRequestSerializer(serializers.Serializer):
    method = serializers.CharField()
    at = serializers.DateTimeField()
    urgent = serializers.BooleanField(required=False)
    promised = serializers.CharField(required=False, allow_blank=True)
    text = serializers.CharField(
        required=False, allow_blank=True, help_text=_("A written reply's text (it goes once a manager confirms it).")
    )


class ReplyGivenSerializer(serializers.Serializer):
    given = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("What was said. A written reply goes with its confirmed text; leave this out."),
    )


# --- Typed inputs of the commands added for the seeds' craft (API, page forms and schema alike) ---------


class ReplyTextSerializer(serializers.Serializer):
    """The text of a written reply, as the handler writes it."""

    text = serializers.CharField(
        label=_("Text of the written reply"),
        max_length=services.MAX_TEXT,
        help_text=_("A changed text must be confirmed again before it goes."),
    )


class ReplyConfirmSerializer(serializers.Serializer):
    """A manager confirms exactly this text (it becomes the reply's text)."""

    text = serializers.CharField(
        label=_("Text confirmed"),
        max_length=services.MAX_TEXT,
        help_text=_("Exactly the text that goes to the customer."),
    )


class ComplainedAboutSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(
        label=_("Staff member complained about"),
        queryset=_active_users(),
        allow_null=True,
        help_text=_("They are kept off the case; empty: the complaint is about nobody in particular."),
    )
    note = serializers.CharField(label=_("Note"), required=False, allow_blank=True, max_length=services.MAX_TEXT)


class ExtendSerializer(serializers.Serializer):
    days = serializers.IntegerField(
        label=_("Resolve within (days from receipt)"),
        min_value=1,
        max_value=365,
        help_text=_("In the days of the complaint's time-limit profile; at most as far as the profile allows."),
    )
    reason = serializers.CharField(
        label=_("Reason"), max_length=services.MAX_TEXT, help_text=_("Why it needs longer (told to the customer).")
    )


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
