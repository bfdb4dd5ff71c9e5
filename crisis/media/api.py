"""/api/incidents/{id}/media/: the incident's media and online-opinion log."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.commands import validated
from config.dates import MomentField
from crisis.voice.models import QALine, Statement
from incidents.services import get_visible_incident

from . import services
from .models import MediaItem, MediaKind, Platform, Sentiment


class MediaItemSerializer(serializers.ModelSerializer):
    callback_due = serializers.DateTimeField(source="callback.due_at", read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True, help_text="An http(s) address, or empty.")

    class Meta:
        model = MediaItem
        fields = ["id", "incident", "kind", "platform", "url", "author", "outlet", "summary", "reach",
                  "sentiment", "rumour", "answered_by", "rebutted_by", "seen_at", "logged_by", "callback",
                  "callback_due"]  # fmt: skip
        read_only_fields = fields


class MediaWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MediaKind.choices, label=_("Kind"))
    platform = serializers.ChoiceField(choices=Platform.choices, label=_("Platform"))
    summary = serializers.CharField(max_length=5000, label=_("What it says"))
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="", label=_("Address (URL)"))
    author = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", label=_("Author or journalist")
    )
    outlet = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", label=_("Outlet"))
    reach = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None, label=_("Reach"))
    sentiment = serializers.ChoiceField(
        choices=Sentiment.choices, required=False, default=Sentiment.NEUTRAL, label=_("Sentiment")
    )
    rumour = serializers.BooleanField(required=False, default=False, label=_("A rumour"))
    answered_by = serializers.PrimaryKeyRelatedField(
        queryset=QALine.objects.all(), required=False, allow_null=True, default=None, label=_("Answered by (Q&A line)")
    )
    rebutted_by = serializers.PrimaryKeyRelatedField(
        queryset=Statement.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        label=_("Rebutted by (statement)"),
    )
    seen_at = MomentField(required=False, allow_null=True, default=None, label=_("Seen at"),
                          help_text=_("Now if left out."))  # fmt: skip
    callback_by = MomentField(
        required=False, allow_null=True, default=None, label=_("Call back by"),
        help_text=_("An enquiry only: the call-back promised, which becomes a deadline."),
    )  # fmt: skip


class IncidentMedia(APIView):
    @extend_schema(responses=MediaItemSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        items = MediaItem.objects.filter(incident=incident).select_related("callback")[:500]
        return Response(MediaItemSerializer(items, many=True).data)

    @extend_schema(request=MediaWriteSerializer, responses={201: MediaItemSerializer})
    def post(self, request: Request, pk: int) -> Response:
        item = services.log_item(pk, by=request.user, **validated(MediaWriteSerializer, request.data))
        return Response(MediaItemSerializer(item).data, status=201)
