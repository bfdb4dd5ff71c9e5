"""The duty roster's answer (`GET /api/duty/`) and its query."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.dates import MomentField
from playbooks.models import CrisisKind

from .models import DutyPosition


class DutyQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=CrisisKind.choices,
        required=False,
        allow_blank=True,
        help_text=_("A kind of crisis: its own rotation if it has one. Empty: the rotation for every kind."),
    )
    at = MomentField(required=False, help_text=_("The moment asked about; now if left out."))


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user) -> str:
        return user.get_full_name() or user.username


class ShiftSerializer(serializers.Serializer):
    user = PersonSerializer(allow_null=True, help_text=_("Nobody when the roster has no one for it."))
    starts_at = MomentField(allow_null=True)
    ends_at = MomentField(allow_null=True, help_text=_("The next hand-over, or the override's end."))
    rotation = serializers.CharField(source="rotation.name", allow_null=True, default=None)
    override_reason = serializers.CharField(source="override.reason", allow_null=True, default=None)


class PositionSerializer(serializers.Serializer):
    position = serializers.ChoiceField(choices=DutyPosition.choices)
    label = serializers.CharField()
    now = ShiftSerializer()
    next = ShiftSerializer(allow_null=True)


class DutySerializer(serializers.Serializer):
    at = MomentField()
    kind = serializers.CharField(allow_blank=True)
    primary = PersonSerializer(allow_null=True, help_text=_("The primary commander on duty now."))
    backup = PersonSerializer(allow_null=True, help_text=_("The backup commander on duty now."))
    positions = PositionSerializer(many=True)
