from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.dates import MomentField
from config.serializers import ModelSerializer
from playbooks.models import (
    Audience,
    CrisisKind,
    DeadlineNature,
    DrillScript,
    EscalationTarget,
    PlaybookVersion,
    VersionState,
)

from . import services, timeline
from .models import (
    TRANSITION_NAMES,
    Deadline,
    Incident,
    ReportChannel,
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
            "exercise",
            "drill_script",
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


# The typed inputs of the write use cases: the API validates bodies with them, the page forms are
# drawn from them (config.forms), and the OpenAPI schema describes them.


def _text(label, *, required: bool = False, max_length: int = services.MAX_TEXT, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        label=label, required=required, allow_blank=not required, max_length=max_length, **kwargs
    )


def _active_user(label, **kwargs) -> serializers.PrimaryKeyRelatedField:
    return serializers.PrimaryKeyRelatedField(label=label, queryset=User.objects.filter(is_active=True), **kwargs)


class DeclareSerializer(serializers.Serializer):
    title = _text(_("Title"), required=True, max_length=200)
    kind = serializers.ChoiceField(label=_("Kind of crisis"), choices=CrisisKind.choices)
    severity = serializers.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.SERIOUS)
    location = _text(_("Location or project (楼盘)"), max_length=200)
    summary = _text(_("What is known"))
    detected_at = MomentField(
        label=_("Detected at"), required=False, help_text=_("When it was first noticed; now if left out.")
    )
    restricted = serializers.BooleanField(
        label=_("Restricted"),
        required=False,
        default=False,
        help_text=_("Only participants, admins and executives will see it."),
    )
    exercise = serializers.BooleanField(
        label=_("This is an exercise (演练)"),
        required=False,
        default=False,
        help_text=_("A drill: marked as one everywhere; nothing about it leaves the console."),
    )
    commander = _active_user(_("Commander"), required=False, allow_null=True)
    drill_script = serializers.PrimaryKeyRelatedField(
        label=_("Drill script"),
        queryset=DrillScript.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text=_("An exercise only: the script whose injects reach the war room on time."),
    )
    playbook_version = serializers.PrimaryKeyRelatedField(
        queryset=PlaybookVersion.objects.filter(state=VersionState.PUBLISHED),
        required=False,
        allow_null=True,
        help_text=_("A published playbook version; by default the published one for the kind."),
    )
    triage = serializers.BooleanField(
        label=_("Open in triage"),
        required=False,
        default=False,
        help_text=_(
            "Something may have happened: no task, deadline or legal clock starts until the commander "
            "confirms it happened."
        ),
    )


class TransitionSerializer(serializers.Serializer):
    transition = serializers.ChoiceField(label=_("Step"), choices=TRANSITION_NAMES, source="name")
    note = _text(
        _("Reason"), help_text=_("Why: required to stand down, resolve or close (closing: the closing summary).")
    )
    open_items = serializers.ChoiceField(
        label=_("Open tasks and pending deadlines"),
        choices=[
            ("keep", _("Keep them as they are (stopped)")),
            ("finish", _("Skip the open tasks and waive the pending deadlines, with the summary as the reason")),
        ],
        required=False,
        default="keep",
        help_text=_("Closing only."),
    )


class ConfirmSerializer(serializers.Serializer):
    """Ending triage: it happened."""

    learned_at = MomentField(
        label=_("The company learned of it at"),
        required=False,
        help_text=_(
            "Legal clocks such as the one-hour report run from this moment. Left out: when the signal "
            "came in (e.g. the complaint's receipt)."
        ),
    )
    severity = serializers.ChoiceField(label=_("Confirmed severity"), choices=Severity.choices, required=False)
    note = _text(_("What is known"))


class CommanderSerializer(serializers.Serializer):
    user = _active_user(_("New commander"), source="to")
    briefing = _text(
        _("Briefing"),
        help_text=_("Situation, objectives and priorities, organisation, resources, communications."),
    )


class RoleSerializer(serializers.Serializer):
    user = _active_user(_("Person"))
    role = serializers.ChoiceField(label=_("Role"), choices=Role.choices)
    briefing = _text(_("Briefing"))


class NoteSerializer(serializers.Serializer):
    text = _text(_("Note"), required=True, help_text=_("The note, as plain text."))


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
    state = serializers.ChoiceField(label=_("State"), choices=TaskState.choices, required=False)
    assignee = _active_user(_("Assignee"), required=False, allow_null=True)
    note = _text(_("Note or reason"))


class DeadlineSerializer(ModelSerializer):
    title = serializers.CharField(read_only=True)
    # Declared so the schema says what the row holds: blank until a report meets the deadline.
    met_channel = serializers.ChoiceField(choices=ReportChannel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Deadline
        fields = [
            "id", "incident", "code", "audience", "title", "title_zh", "title_en", "due_at", "state", "nature",
            "source", "met_at", "met_by", "met_channel", "met_authority", "met_received_by", "evidence",
            "evidence_ref", "waived_reason", "breached_at",
        ]  # fmt: skip
        read_only_fields = fields


class MeetSerializer(serializers.Serializer):
    evidence = _text(_("Evidence"), required=True, help_text=_("What was delivered, to whom, how."))
    evidence_ref = _text(_("Reference"), max_length=100)
    channel = serializers.ChoiceField(
        label=_("Reported by"),
        choices=ReportChannel.choices,
        required=False,
        allow_blank=True,
        help_text=_("For a report to an authority: how it was made (usually a phone call)."),
    )
    authority = _text(_("Authority reported to"), max_length=200)
    received_by = _text(_("Officer who took the report"), max_length=200)
    reported_at = MomentField(
        label=_("Reported at"), required=False, help_text=_("The minute the report was made; now if left out.")
    )


class PromiseSerializer(serializers.Serializer):
    """A promise made in the company's name — a meeting date given to owners, a written answer by
    Friday — recorded so that it becomes our own deadline."""

    audience = serializers.ChoiceField(label=_("Made to"), choices=Audience.choices)
    promise = _text(_("What was promised"), required=True, max_length=200)
    to_whom = _text(_("To whom"), max_length=200, help_text=_("E.g. the owners' representatives of Block 3."))
    due_at = MomentField(label=_("Promised for"), help_text=_("The date and time given to them."))


class WaiveSerializer(serializers.Serializer):
    reason = _text(_("Reason"), required=True)


class MoveSerializer(serializers.Serializer):
    due_at = MomentField(label=_("New due time"))
    reason = _text(_("Reason"), required=True)


class NotificationSerializer(ModelSerializer):
    incident = serializers.SerializerMethodField(help_text=_("The incident it is about, if any."))
    complaint = serializers.SerializerMethodField(help_text=_("The complaint it is about, if any."))

    class Meta:
        model = Notification
        fields = [
            "id", "channel", "event", "incident", "complaint", "subject", "body", "state", "created_at", "sent_at",
            "read_at", "needs_ack", "acked_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_incident(self, notification) -> int | None:
        return notification.topic_id if notification.topic_type == "incident" else None

    def get_complaint(self, notification) -> int | None:
        return notification.topic_id if notification.topic_type == "complaint" else None


class AddDeadlineSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(label=_("Audience"), choices=Audience.choices)
    title = _text(_("What is owed"), required=True, max_length=200)
    due_at = MomentField(label=_("Due at"))
    remind_before_minutes = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=60 * 24 * 60), required=False, max_length=10
    )
    escalate_to = serializers.ListField(
        child=serializers.ChoiceField(choices=EscalationTarget.choices), required=False, max_length=10
    )
    source = _text(_("Legal or policy source"))
    nature = serializers.ChoiceField(
        label=_("Whose clock"), choices=DeadlineNature.choices, required=False, default=DeadlineNature.DUTY
    )
    met_by_statement = serializers.BooleanField(required=False, default=False)
