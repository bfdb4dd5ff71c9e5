"""The review's typed inputs (shared by the API, the page forms and the OpenAPI schema) and its
JSON shapes."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.serializers import ModelSerializer
from incidents.timeline import person

from .models import RATING_RANGE, ActionState, Feedback, ReviewAction, ReviewState
from .services import TEXT_LIMIT

LOW, HIGH = RATING_RANGE


def _rating(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=LOW, max_value=HIGH, allow_null=True, **kwargs)


def _text(label) -> serializers.CharField:
    return serializers.CharField(label=label, required=False, allow_blank=True, max_length=TEXT_LIMIT)


class EvaluationAnswerSerializer(serializers.Serializer):
    met = serializers.BooleanField(allow_null=True, label=_("Done as it should be"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="", label=_("Note"))


class EvaluationRowSerializer(EvaluationAnswerSerializer):
    question = serializers.CharField()


class ReviewEditSerializer(serializers.Serializer):
    """PATCH: any of the texts and the rating, and a drill's evaluation sheet (one answer per
    question, in order); what is left out stays as it was."""

    planned = _text(_("What was planned"))
    happened = _text(_("What happened"))
    why = _text(_("Why the two differed"))
    keep = _text(_("What to keep doing"))
    change = _text(_("What to change"))
    rating = _rating(required=False, label=_("How the response went (1–5)"))
    evaluation = serializers.ListField(
        child=EvaluationAnswerSerializer(), required=False, max_length=100, label=_("Evaluation sheet")
    )


class FeedbackWriteSerializer(serializers.Serializer):
    rating = _rating(required=False, default=None, label=_("How the response went (1–5)"))
    text = serializers.CharField(
        label=_("Your feedback"), required=False, allow_blank=True, max_length=2000, default=""
    )


class ActionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(label=_("What to do"), max_length=200)
    owner = serializers.IntegerField(label=_("Owner"), min_value=1)
    due_at = serializers.DateTimeField(label=_("Due at"))
    change_playbook = serializers.BooleanField(
        label=_("This changes the playbook (opens a draft of it)"), required=False, default=False
    )

    def validate_due_at(self, value):
        if value <= timezone.now():
            raise serializers.ValidationError(_("The due time must be in the future."))
        return value


class ActionFinishSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        label=_("Outcome"),
        choices=[(ActionState.DONE, ActionState.DONE.label), (ActionState.DROPPED, ActionState.DROPPED.label)],
    )
    note = serializers.CharField(
        label=_("Note (why, if dropped)"), required=False, allow_blank=True, max_length=2000, default=""
    )


class ReviewPersonSerializer(serializers.Serializer):
    """A person as the timeline names them."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class ActionSerializer(ModelSerializer):
    incident = serializers.IntegerField(source="review.incident_id", read_only=True)
    owner = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ReviewAction
        fields = ["id", "incident", "title", "owner", "due_at", "state", "overdue", "playbook_draft", "created_at",
                  "finished_at", "note"]  # fmt: skip

    def get_owner(self, action) -> ReviewPersonSerializer:
        return person(action.owner)

    def get_overdue(self, action) -> bool:
        return action.state == ActionState.OPEN and action.due_at < timezone.now()


class FeedbackSerializer(ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Feedback
        fields = ["author", "rating", "text", "at"]

    def get_author(self, feedback) -> ReviewPersonSerializer:
        return person(feedback.author)


class KeyMomentSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)
    minutes_from_detection = serializers.IntegerField(allow_null=True)
    target_minutes = serializers.IntegerField(allow_null=True)
    audience = serializers.CharField(allow_blank=True)


class DeadlineCountsSerializer(serializers.Serializer):
    met_on_time = serializers.IntegerField()
    met_late = serializers.IntegerField()
    breached = serializers.IntegerField()
    waived = serializers.IntegerField()
    open = serializers.IntegerField()


class PinnedSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    text = serializers.CharField()


class ReviewSerializer(serializers.Serializer):
    """The review as GET answers it: the record's facts, then what people wrote."""

    incident = serializers.IntegerField()
    state = serializers.ChoiceField(choices=ReviewState.choices)
    key_moments = KeyMomentSerializer(many=True)
    deadlines = DeadlineCountsSerializer()
    pinned = PinnedSerializer(many=True)
    planned = serializers.CharField(allow_blank=True)
    happened = serializers.CharField(allow_blank=True)
    why = serializers.CharField(allow_blank=True)
    keep = serializers.CharField(allow_blank=True)
    change = serializers.CharField(allow_blank=True)
    rating = serializers.IntegerField(allow_null=True)
    evaluation = EvaluationRowSerializer(many=True)
    opened_at = serializers.DateTimeField()
    signed_off_by = ReviewPersonSerializer(allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)
    feedback = FeedbackSerializer(many=True)
    actions = ActionSerializer(many=True)
