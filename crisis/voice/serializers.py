from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from playbooks.models import Audience, StatementPurpose

from . import services
from .models import QALine, Statement, StatementRevision, TextLanguage

BODY_HELP = _("Plain text; line breaks are kept. Confirmed facts only; say when the next update comes.")
STATEMENT_ACTIONS = ("edit", "submit", "approve", "second_review", "reject", "publish", "withdraw")
LINE_ACTIONS = ("edit", "submit", "approve", "reject", "revise", "withdraw")


class StatementSerializer(serializers.ModelSerializer):
    allowed_actions = serializers.SerializerMethodField()
    purpose = serializers.ChoiceField(choices=StatementPurpose.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id", "incident", "audience", "purpose", "language", "template", "title", "body", "state", "version",
            "needs_second_review", "drafted_by", "created_at", "edited_by", "edited_at", "submitted_by",
            "submitted_at", "approved_by", "approved_at", "second_reviewer", "second_approved_at", "rejected_by",
            "rejected_at", "rejection_comment", "published_by", "published_at", "superseded_by", "superseded_at",
            "withdrawn_by", "withdrawn_at", "withdrawn_reason", "allowed_actions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=STATEMENT_ACTIONS)))
    def get_allowed_actions(self, statement: Statement) -> list[str]:
        request = self.context.get("request")
        return services.statement_actions(request.user, statement) if request else []


class StatementCreateSerializer(serializers.Serializer):
    audience = serializers.ChoiceField(
        label=_("Audience"),
        choices=Audience.choices,
        required=False,
        help_text=_("Required unless a template gives it."),
    )
    template = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=_("A statement template of the incident's playbook; omitted title and body come filled from it."),
    )
    language = serializers.ChoiceField(
        label=_("Language"),
        choices=TextLanguage.choices,
        required=False,
        help_text=_("The language of the template text to fill in."),
    )
    purpose = serializers.ChoiceField(choices=StatementPurpose.choices, required=False, allow_blank=True)
    title = serializers.CharField(label=_("Title"), required=False, allow_blank=True, max_length=services.MAX_TITLE)
    body = serializers.CharField(
        label=_("Text"), required=False, allow_blank=True, max_length=services.MAX_BODY, help_text=BODY_HELP
    )


class StatementEditSerializer(serializers.Serializer):
    title = serializers.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    body = serializers.CharField(label=_("Text"), max_length=services.MAX_BODY, help_text=BODY_HELP)
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("The version you edited; a conflict (409) if it changed since.")
    )


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("The version you read; a conflict (409) if it changed since.")
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        label=_("What should change"),
        max_length=services.MAX_COMMENT,
        help_text=_("What the drafter should change."),
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(label=_("Reason"), max_length=services.MAX_COMMENT)


class RevisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementRevision
        fields = ["number", "title", "body", "edited_by", "edited_at"]
        read_only_fields = fields


class IncidentQALineSerializer(serializers.ModelSerializer):
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = QALine
        fields = [
            "id", "incident", "topic", "revises", "source", "order", "language", "question", "answer", "state",
            "version", "drafted_by", "created_at", "edited_at", "submitted_at", "approved_by", "approved_at",
            "rejected_by", "rejected_at", "rejection_comment", "superseded_by", "superseded_at", "withdrawn_by",
            "withdrawn_at", "withdrawn_reason", "allowed_actions",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=LINE_ACTIONS)))
    def get_allowed_actions(self, line: QALine) -> list[str]:
        request = self.context.get("request")
        return services.line_actions(request.user, line) if request else []


class QALineRevisionSerializer(serializers.Serializer):
    question = serializers.CharField(label=_("Question"), max_length=services.MAX_COMMENT)
    answer = serializers.CharField(
        label=_("Approved answer"), max_length=services.MAX_COMMENT, help_text=_("Plain text.")
    )


class QALineWriteSerializer(QALineRevisionSerializer):
    language = serializers.ChoiceField(label=_("Language"), choices=TextLanguage.choices, required=False)


class QALineEditSerializer(QALineRevisionSerializer):
    version = serializers.IntegerField(required=False, min_value=1)


class SeedSerializer(serializers.Serializer):
    language = serializers.ChoiceField(label=_("Language"), choices=TextLanguage.choices, required=False)
