from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.serializers import ModelSerializer
from playbooks.models import Audience, CrisisKind, EscalationTarget, PlaybookVersion, VersionState

from . import services, timeline
from .models import (
    TRANSITION_NAMES,
    Deadline,
    Incident,
    Role,
    RoleAssignment,
    Severity,
    Task,
    TaskState,
    TimelineEntry,
)
from .notify.models import Notification

User = get_user_model()


class UserSerializer(ModelSerializer):
    display_name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]

    def get_display_name(self, user) -> str:
        return services.display_name(user)


class AssignmentSerializer(ModelSerializer):
    user = UserSerializer(read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["id", "role", "user", "started_at", "ended_at", "briefing"]


class IncidentSerializer(ModelSerializer):
    commander_name = serializers.SerializerMethodField()
    spokesperson_name = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "kind",
            "kind_label",
            "severity",
            "severity_label",
            "title",
            "summary",
            "location",
            "status",
            "status_label",
            "restricted",
            "detected_at",
            "declared_at",
            "closed_at",
            "reported_by",
            "commander",
            "commander_name",
            "spokesperson",
            "spokesperson_name",
            "allowed_transitions",
            "playbook_version",
            "last_seq",
        ]
        read_only_fields = fields

    def get_commander_name(self, incident) -> str:
        return services.display_name(incident.commander)

    def get_spokesperson_name(self, incident) -> str:
        return services.display_name(incident.spokesperson)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=TRANSITION_NAMES)))
    def get_allowed_transitions(self, incident) -> list[str]:
        request = self.context.get("request")
        return services.allowed_transitions(incident, request.user) if request else []


class IncidentDetailSerializer(IncidentSerializer):
    roles = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [*IncidentSerializer.Meta.fields, "roles"]
        read_only_fields = fields

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_roles(self, incident):
        active = incident.assignments.filter(ended_at__isnull=True).select_related("user")
        return AssignmentSerializer(active, many=True).data


class DeclareSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CrisisKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    detected_at = serializers.DateTimeField(required=False)
    restricted = serializers.BooleanField(required=False, default=False)
    commander = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    playbook_version = serializers.PrimaryKeyRelatedField(
        queryset=PlaybookVersion.objects.filter(state=VersionState.PUBLISHED),
        required=False,
        allow_null=True,
        help_text=_("A published playbook version; by default the published one for the kind."),
    )


class TransitionSerializer(serializers.Serializer):
    transition = serializers.CharField(max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class CommanderSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    briefing = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class RoleSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    role = serializers.ChoiceField(choices=Role.choices)
    briefing = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT, help_text=_("The note, as plain text."))


class TimelineEntrySerializer(ModelSerializer):
    message = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = ["seq", "kind", "actor", "actor_name", "message", "text", "data", "at"]
        read_only_fields = fields

    def get_message(self, entry) -> str:
        return timeline.describe(entry.kind, entry.data, entry.text)

    def get_actor_name(self, entry) -> str:
        return services.display_name(entry.actor)


class TaskSerializer(ModelSerializer):
    title = serializers.CharField(read_only=True)
    instructions = serializers.CharField(read_only=True)
    assignee_name = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id", "incident", "title", "title_zh", "title_en", "instructions", "phase", "owner_role", "required",
            "due_at", "state", "assignee", "assignee_name", "completed_at", "completed_by", "note",
        ]  # fmt: skip
        read_only_fields = fields

    def get_assignee_name(self, task) -> str:
        return services.display_name(task.assignee)


class TaskUpdateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=TaskState.choices, required=False)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)


class DeadlineSerializer(ModelSerializer):
    title = serializers.CharField(read_only=True)

    class Meta:
        model = Deadline
        fields = [
            "id", "incident", "code", "audience", "title", "title_zh", "title_en", "due_at", "state", "source",
            "met_at", "met_by", "evidence", "evidence_ref", "waived_reason", "breached_at",
        ]  # fmt: skip
        read_only_fields = fields


class MeetSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=services.MAX_TEXT, help_text=_("What was delivered, to whom, how."))
    evidence_ref = serializers.CharField(required=False, allow_blank=True, max_length=100)


class WaiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_TEXT)


class MoveSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(help_text=_("The new due time, ISO-8601 with a time zone."))
    reason = serializers.CharField(max_length=services.MAX_TEXT)


class NotificationSerializer(ModelSerializer):
    incident = serializers.SerializerMethodField(help_text=_("The incident it is about, if any."))
    complaint = serializers.SerializerMethodField(help_text=_("The complaint it is about, if any."))

    class Meta:
        model = Notification
        fields = [
            "id", "channel", "event", "incident", "complaint", "subject", "body", "state", "created_at", "sent_at",
            "read_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_incident(self, notification) -> int | None:
        return notification.topic_id if notification.topic_type == "incident" else None

    def get_complaint(self, notification) -> int | None:
        return notification.topic_id if notification.topic_type == "complaint" else None


class AddDeadlineSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    title = serializers.CharField(max_length=200)
    due_at = serializers.DateTimeField()
    remind_before_minutes = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=60 * 24 * 60), required=False, max_length=10
    )
    escalate_to = serializers.ListField(
        child=serializers.ChoiceField(choices=EscalationTarget.choices), required=False, max_length=10
    )
    source = serializers.CharField(required=False, allow_blank=True, max_length=services.MAX_TEXT)
    met_by_statement = serializers.BooleanField(required=False, default=False)
