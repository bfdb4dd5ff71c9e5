from rest_framework import serializers

from .models import DeadlineRule, Playbook, PlaybookVersion, QALine, StatementTemplate, Step


class PlaybookSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    version = serializers.SerializerMethodField(help_text="The published version's number, or null.")
    version_id = serializers.SerializerMethodField(help_text="The published version's id, or null.")

    class Meta:
        model = Playbook
        fields = [
            "id",
            "slug",
            "kind",
            "name",
            "name_zh",
            "name_en",
            "description",
            "is_default",
            "version",
            "version_id",
        ]

    def _published(self, playbook):
        # Prefetched by the view as `published` (a list of at most one version).
        if hasattr(playbook, "published"):
            return playbook.published[0] if playbook.published else None
        return playbook.published_version

    def get_version(self, playbook) -> int | None:
        version = self._published(playbook)
        return version.number if version else None

    def get_version_id(self, playbook) -> int | None:
        version = self._published(playbook)
        return version.pk if version else None


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["order", "phase", "title", "title_zh", "title_en", "instructions", "owner_role",
                  "due_offset_minutes", "required", "completes_when"]  # fmt: skip


class DeadlineRuleSerializer(serializers.ModelSerializer):
    remind_before_minutes = serializers.ListField(source="reminder_leads", child=serializers.IntegerField())
    escalate_to = serializers.ListField(source="escalation_targets", child=serializers.CharField())

    class Meta:
        model = DeadlineRule
        fields = ["code", "audience", "title", "title_zh", "title_en", "due_in", "unit", "clock_starts_at",
                  "remind_before_minutes", "escalate_to", "source", "nature", "met_by_statement"]  # fmt: skip


class StatementTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatementTemplate
        fields = [
            "id",
            "audience",
            "purpose",
            "title",
            "title_zh",
            "title_en",
            "body_zh",
            "body_en",
            "second_review",
            "use_when",
            "use_when_zh",
            "use_when_en",
        ]


class QALineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QALine
        fields = ["order", "question", "answer", "question_zh", "question_en", "answer_zh", "answer_en"]


class PlaybookVersionSerializer(serializers.ModelSerializer):
    playbook = PlaybookSerializer(read_only=True)
    version = serializers.IntegerField(source="number")
    steps = StepSerializer(many=True)
    deadline_rules = DeadlineRuleSerializer(many=True)
    statement_templates = StatementTemplateSerializer(many=True)
    qa_lines = QALineSerializer(many=True)

    class Meta:
        model = PlaybookVersion
        fields = ["id", "playbook", "version", "state", "published_at", "notes_zh", "notes_en",
                  "steps", "deadline_rules", "statement_templates", "qa_lines"]  # fmt: skip
