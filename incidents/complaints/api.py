"""JSON API for complaints. Thin: permission first, then the body, then a service call."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import query
from config.commands import validated
from config.text import text_error

from . import access, services
from .models import ACTIONS, Complaint, ComplaintAttachment, ComplaintCategory, ComplaintReply, ComplaintState
from .serializers import (
    ComplainedAboutSerializer,
    ComplaintAttachmentSerializer,
    ComplaintDetailSerializer,
    ComplaintReplySerializer,
    ComplaintSerializer,
    ExtendSerializer,
    IntakeSerializer,
    ReplyConfirmSerializer,
    ReplyGivenSerializer,
    ReplyRequestSerializer,
    ReplyTextSerializer,
    StepSerializer,
)


def _detail(request: Request, complaint: Complaint, code: int = 200) -> Response:
    complaint = services.get_complaint(complaint.pk, request.user)
    return Response(ComplaintDetailSerializer(complaint, context={"request": request}).data, status=code)


@extend_schema(
    parameters=[
        OpenApiParameter("state", str, enum=ComplaintState.values, description="Filter by state (repeatable)."),
        OpenApiParameter("project", str, description="Only this project."),
        OpenApiParameter("category", str, enum=ComplaintCategory.values),
        OpenApiParameter("open", bool, description="Only open complaints."),
        OpenApiParameter("mine", bool, description="Only complaints I handle."),
    ]
)
class ComplaintListCreate(generics.ListAPIView):
    serializer_class = ComplaintSerializer

    def get_queryset(self):
        qs = services.visible_complaints(self.request.user)
        params = self.request.query_params
        states = query.choices(self.request, "state", ComplaintState.values)
        if states:
            qs = qs.filter(state__in=states)
        category = params.get("category")
        if category:
            if category not in ComplaintCategory.values:
                raise ValidationError({"category": [_("Unknown category.")]})
            qs = qs.filter(category=category)
        if params.get("project"):
            project, error = text_error(params["project"], required=False, max_length=200)
            if error:
                raise ValidationError({"project": [error]})
            qs = qs.filter(project=project)
        if params.get("open") in ("1", "true", "yes"):
            qs = qs.exclude(state=ComplaintState.CLOSED)
        if params.get("mine") in ("1", "true", "yes"):
            qs = qs.filter(handler=self.request.user)
        return qs.order_by("-received_at", "-pk")

    @extend_schema(
        request=IntakeSerializer,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
        responses={201: ComplaintDetailSerializer, 200: ComplaintDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        access.LOG.check(request.user)
        complaint, created = services.intake(
            by=request.user, data=request.data, idempotency_key=request.headers.get("Idempotency-Key", "")
        )
        response = _detail(request, complaint, 201 if created else 200)
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class ComplaintDetail(APIView):
    @extend_schema(responses=ComplaintDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _detail(request, services.get_complaint(pk, request.user))


class ComplaintStep(APIView):
    """POST /api/complaints/{id}/{action}/: a step of the handling form, or `take` (become handler)."""

    @extend_schema(
        request=StepSerializer,
        responses=ComplaintDetailSerializer,
        operation_id="complaints_step",
        parameters=[OpenApiParameter("action", str, OpenApiParameter.PATH, enum=["take", *ACTIONS])],
    )
    def post(self, request: Request, pk: int, action: str) -> Response:
        complaint = services.get_complaint(pk, request.user)
        access.HANDLE.check(request.user, complaint)
        if action == "take":
            services.take(pk, by=request.user)
        elif action in ACTIONS:
            data = request.data if isinstance(request.data, dict) else None
            if data is None:
                raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
            services.act(pk, by=request.user, action=action, data=dict(data.items()))
        else:
            raise Complaint.DoesNotExist
        return _detail(request, complaint)


class ComplaintReplies(APIView):
    @extend_schema(request=ReplyRequestSerializer, responses={201: ComplaintReplySerializer})
    def post(self, request: Request, pk: int) -> Response:
        complaint = services.get_complaint(pk, request.user)
        access.HANDLE.check(request.user, complaint)
        data = request.data if isinstance(request.data, dict) else {}
        urgent = data.get("urgent", False)
        if not isinstance(urgent, bool):
            raise ValidationError({"urgent": [_("Must be true or false.")]})
        reply = services.schedule_reply(
            pk,
            by=request.user,
            method=data.get("method"),
            at=data.get("at"),
            urgent=urgent,
            promised=data.get("promised", ""),
            text=data.get("text", ""),
        )
        return Response(ComplaintReplySerializer(reply).data, status=201)


class ReplyGiven(APIView):
    @extend_schema(request=ReplyGivenSerializer, responses=ComplaintReplySerializer)
    def post(self, request: Request, pk: int) -> Response:
        reply = ComplaintReply.objects.select_related("complaint").get(pk=pk)
        access.HANDLE.check(request.user, reply.complaint)
        data = request.data if isinstance(request.data, dict) else {}
        reply = services.record_reply(pk, by=request.user, given=data.get("given"))
        return Response(ComplaintReplySerializer(reply).data)


class ReplyText(APIView):
    """POST /api/replies/{id}/text/: write or rewrite a written reply's text (it must be confirmed again)."""

    @extend_schema(request=ReplyTextSerializer, responses=ComplaintReplySerializer)
    def post(self, request: Request, pk: int) -> Response:
        reply = ComplaintReply.objects.select_related("complaint").get(pk=pk)
        access.HANDLE.check(request.user, reply.complaint)
        reply = services.reply_text(pk, by=request.user, **validated(ReplyTextSerializer, request.data))
        return Response(ComplaintReplySerializer(reply).data)


class ReplyConfirm(APIView):
    """POST /api/replies/{id}/confirm/: a business manager or higher confirms exactly this text."""

    @extend_schema(request=ReplyConfirmSerializer, responses=ComplaintReplySerializer)
    def post(self, request: Request, pk: int) -> Response:
        reply = ComplaintReply.objects.select_related("complaint").get(pk=pk)
        access.CONFIRM_REPLY.check(request.user, reply.complaint)
        reply = services.confirm_reply(pk, by=request.user, **validated(ReplyConfirmSerializer, request.data))
        return Response(ComplaintReplySerializer(reply).data)


class ComplaintComplainedAbout(APIView):
    """POST /api/complaints/{id}/complained-about/: say which staff member the complaint is about."""

    @extend_schema(request=ComplainedAboutSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        complaint = services.get_complaint(pk, request.user)
        access.NAME_COMPLAINED_ABOUT.check(request.user, complaint)
        services.set_complained_about(pk, by=request.user, **validated(ComplainedAboutSerializer, request.data))
        return _detail(request, complaint)


class ComplaintExtend(APIView):
    """POST /api/complaints/{id}/extend/: senior management extends the resolution limit."""

    @extend_schema(request=ExtendSerializer, responses=ComplaintDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        complaint = services.get_complaint(pk, request.user)
        access.EXTEND.check(request.user, complaint)
        services.extend_resolution(pk, by=request.user, **validated(ExtendSerializer, request.data))
        return _detail(request, complaint)


class ComplaintAttachments(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses={201: ComplaintAttachmentSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        services.get_complaint(pk, request.user)  # 404 for a complaint the user cannot see
        attachment = services.add_attachment(pk, by=request.user, upload=request.FILES.get("file"))
        return Response(ComplaintAttachmentSerializer(attachment).data, status=201)


class AttachmentDownload(APIView):
    @extend_schema(responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int):
        attachment = ComplaintAttachment.objects.select_related("complaint").get(pk=pk)
        try:
            handle = services.open_attachment(attachment, request.user, via="api")
        except FileNotFoundError:
            raise Http404(_("The file is missing.")) from None
        response = FileResponse(handle, as_attachment=True, filename=attachment.name)
        response["Cache-Control"] = "private, no-store"
        return response


class ComplaintVolume(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="How many days back (1–90, default 14).")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        days = max(1, query.non_negative_int(request, "days", 14, maximum=90))
        return Response(services.volume(days=days))
