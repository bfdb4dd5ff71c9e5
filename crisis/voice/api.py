"""JSON API for statements and Q&A lines. Thin: find what the caller may see (404), check they may
act (403, or 409 for a commander of another incident), read the body (400), call the service
(409 when a rule would break)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import query
from incidents.services import get_visible_incident
from playbooks.models import Audience

from . import outreach, services
from .models import QALine, QALineState, Statement, StatementState
from .serializers import (
    CommentSerializer,
    IncidentQALineSerializer,
    QALineEditSerializer,
    QALineRevisionSerializer,
    QALineWriteSerializer,
    ReasonSerializer,
    RevisionSerializer,
    SeedSerializer,
    StatementCreateSerializer,
    StatementEditSerializer,
    StatementSerializer,
    VersionSerializer,
)

# --- Statements -----------------------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("audience", str, enum=Audience.values, description="Only this audience (repeatable)."),
        OpenApiParameter("state", str, enum=StatementState.values, description="Only this state (repeatable)."),
    ]
)
class IncidentStatements(generics.ListAPIView):
    """An incident's statements, newest first, or draft a new one."""

    serializer_class = StatementSerializer

    def get_queryset(self):
        incident = get_visible_incident(self.kwargs["pk"], self.request.user)
        queryset = Statement.objects.filter(incident=incident).select_related("incident")
        audiences = query.choices(self.request, "audience", Audience.values)
        states = query.choices(self.request, "state", StatementState.values)
        if audiences:
            queryset = queryset.filter(audience__in=audiences)
        if states:
            queryset = queryset.filter(state__in=states)
        return queryset.order_by("-created_at", "-pk")

    @extend_schema(request=StatementCreateSerializer, responses={201: StatementSerializer})
    def post(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        services.require("draft", request.user, incident)
        body = StatementCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        statement = services.create_statement(pk, by=request.user, **body.validated_data)
        return Response(StatementSerializer(statement, context={"request": request}).data, status=201)


class CurrentStatement(APIView):
    """The one current (published) statement for an audience: 404 when there is none."""

    @extend_schema(
        parameters=[OpenApiParameter("audience", str, enum=Audience.values, required=True)],
        responses={200: StatementSerializer, 404: OpenApiResponse(description="No current statement.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        audience = request.query_params.get("audience")
        if not audience:
            raise ValidationError({"audience": [_("This field is required.")]})
        if audience not in Audience.values:
            raise ValidationError({"audience": [_("Unknown audience.")]})
        statement = services.current_statement(incident, audience)
        if statement is None:
            raise Statement.DoesNotExist
        return Response(StatementSerializer(statement, context={"request": request}).data)


class StatementDetail(APIView):
    @extend_schema(responses=StatementSerializer)
    def get(self, request: Request, pk: int) -> Response:
        statement = services.get_visible_statement(pk, request.user)
        return Response(StatementSerializer(statement, context={"request": request}).data)

    @extend_schema(request=StatementEditSerializer, responses=StatementSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        """Edit the words. An approved statement goes back to review."""
        statement = services.get_visible_statement(pk, request.user)
        services.require("edit", request.user, statement.incident, statement)
        body = StatementEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        statement = services.edit_statement(pk, by=request.user, **body.validated_data)
        return Response(StatementSerializer(statement, context={"request": request}).data)


class StatementRevisions(generics.ListAPIView):
    """The words of each version of a statement, oldest first."""

    serializer_class = RevisionSerializer

    def get_queryset(self):
        statement = services.get_visible_statement(self.kwargs["pk"], self.request.user)
        return statement.revisions.order_by("number")


class _StatementStep(APIView):
    """One step of a statement's lifecycle: POST /api/statements/{id}/<step>/."""

    action: ClassVar[str]
    body_serializer: ClassVar[type[serializers.Serializer] | None] = None
    run: ClassVar[Callable[..., Statement]]

    def step(self, request: Request, pk: int) -> Response:
        statement = services.get_visible_statement(pk, request.user)
        services.require(self.action, request.user, statement.incident, statement)
        arguments: dict[str, Any] = {}
        if self.body_serializer is not None:
            body = self.body_serializer(data=request.data)
            body.is_valid(raise_exception=True)
            arguments = dict(body.validated_data)
        statement = type(self).run(pk, by=request.user, **arguments)
        return Response(StatementSerializer(statement, context={"request": request}).data)


class StatementSubmit(_StatementStep):
    action = "submit"
    run = staticmethod(services.submit_statement)

    @extend_schema(request=None, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Submit a draft (or a rejected statement) for approval."""
        return self.step(request, pk)


class StatementApprove(_StatementStep):
    action = "approve"
    body_serializer = VersionSerializer
    run = staticmethod(services.approve_statement)

    @extend_schema(request=VersionSerializer, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """The commander's approval: 409 for a commander of another incident or a statement not in review."""
        return self.step(request, pk)


class StatementSecondReview(_StatementStep):
    action = "second_review"
    body_serializer = VersionSerializer
    run = staticmethod(services.second_review_statement)

    @extend_schema(request=VersionSerializer, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """The second (e.g. legal) review, where the statement's template asks for one."""
        return self.step(request, pk)


class StatementReject(_StatementStep):
    action = "reject"
    body_serializer = CommentSerializer
    run = staticmethod(services.reject_statement)

    @extend_schema(request=CommentSerializer, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Send it back to the drafter with a comment."""
        return self.step(request, pk)


class StatementPublish(_StatementStep):
    action = "publish"
    run = staticmethod(services.publish_statement)

    @extend_schema(request=None, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Publish an approved statement (409 otherwise): it supersedes the current one for its audience
        and meets the deadlines it answers."""
        return self.step(request, pk)


class StatementWithdraw(_StatementStep):
    action = "withdraw"
    body_serializer = ReasonSerializer
    run = staticmethod(services.withdraw_statement)

    @extend_schema(request=ReasonSerializer, responses=StatementSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Withdraw a statement, with a reason. A published one stops being the current voice."""
        return self.step(request, pk)


# --- Q&A lines ------------------------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("state", str, enum=QALineState.values, description="Only this state (repeatable)."),
        OpenApiParameter("current", bool, description="Only the lines in force (approved)."),
    ]
)
class IncidentQALines(generics.ListAPIView):
    """An incident's Q&A lines (口径) in their order, or draft a new one."""

    serializer_class = IncidentQALineSerializer

    def get_queryset(self):
        incident = get_visible_incident(self.kwargs["pk"], self.request.user)
        queryset = QALine.objects.filter(incident=incident).select_related("incident")
        states = query.choices(self.request, "state", QALineState.values)
        if self.request.query_params.get("current") in ("1", "true", "yes"):
            states = [QALineState.APPROVED]
        if states:
            queryset = queryset.filter(state__in=states)
        return queryset.order_by("order", "pk")

    @extend_schema(request=QALineWriteSerializer, responses={201: IncidentQALineSerializer})
    def post(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        services.require_line("draft", request.user, incident)
        body = QALineWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = services.create_line(pk, by=request.user, **body.validated_data)
        return Response(IncidentQALineSerializer(line, context={"request": request}).data, status=201)


class QALineSeed(APIView):
    @extend_schema(
        request=SeedSerializer,
        responses={
            201: inline_serializer(
                "SeededLines", {"count": serializers.IntegerField(), "results": IncidentQALineSerializer(many=True)}
            ),
        },
        description="Copy the playbook's Q&A lines into the incident as drafts (those not copied before).",
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = get_visible_incident(pk, request.user)
        services.require_line("seed", request.user, incident)
        body = SeedSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lines = services.seed_lines(pk, by=request.user, **body.validated_data)
        data = IncidentQALineSerializer(lines, many=True, context={"request": request}).data
        return Response({"count": len(lines), "results": data}, status=status.HTTP_201_CREATED)


class QALineDetail(APIView):
    @extend_schema(responses=IncidentQALineSerializer)
    def get(self, request: Request, pk: int) -> Response:
        line = services.get_visible_line(pk, request.user)
        return Response(IncidentQALineSerializer(line, context={"request": request}).data)

    @extend_schema(request=QALineEditSerializer, responses=IncidentQALineSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        """Edit a line not yet in force (a line in force is revised: 409 here)."""
        line = services.get_visible_line(pk, request.user)
        services.require_line("edit", request.user, line.incident, line)
        body = QALineEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        line = services.edit_line(pk, by=request.user, **body.validated_data)
        return Response(IncidentQALineSerializer(line, context={"request": request}).data)


class _LineStep(APIView):
    """One step of a Q&A line's lifecycle: POST /api/qa-lines/{id}/<step>/."""

    action: ClassVar[str]
    body_serializer: ClassVar[type[serializers.Serializer] | None] = None
    run: ClassVar[Callable[..., QALine]]

    def step(self, request: Request, pk: int, code: int = 200) -> Response:
        line = services.get_visible_line(pk, request.user)
        services.require_line(self.action, request.user, line.incident, line)
        arguments: dict[str, Any] = {}
        if self.body_serializer is not None:
            body = self.body_serializer(data=request.data)
            body.is_valid(raise_exception=True)
            arguments = dict(body.validated_data)
        line = type(self).run(pk, by=request.user, **arguments)
        return Response(IncidentQALineSerializer(line, context={"request": request}).data, status=code)


class QALineSubmit(_LineStep):
    action = "submit"
    run = staticmethod(services.submit_line)

    @extend_schema(request=None, responses=IncidentQALineSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Submit a line for approval."""
        return self.step(request, pk)


class QALineApprove(_LineStep):
    action = "approve"
    body_serializer = VersionSerializer
    run = staticmethod(services.approve_line)

    @extend_schema(request=VersionSerializer, responses=IncidentQALineSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Put the line in force (the commander); it supersedes the version it revises."""
        return self.step(request, pk)


class QALineReject(_LineStep):
    action = "reject"
    body_serializer = CommentSerializer
    run = staticmethod(services.reject_line)

    @extend_schema(request=CommentSerializer, responses=IncidentQALineSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Send it back to the drafter with a comment."""
        return self.step(request, pk)


class QALineWithdraw(_LineStep):
    action = "withdraw"
    body_serializer = ReasonSerializer
    run = staticmethod(services.withdraw_line)

    @extend_schema(request=ReasonSerializer, responses=IncidentQALineSerializer)
    def post(self, request: Request, pk: int) -> Response:
        """Withdraw a line, with a reason. A line in force leaves the printable page."""
        return self.step(request, pk)


class QALineRevise(_LineStep):
    action = "revise"
    body_serializer = QALineRevisionSerializer
    run = staticmethod(services.revise_line)

    @extend_schema(request=QALineRevisionSerializer, responses={201: IncidentQALineSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Draft a revision of a line in force; the line stays in force until the revision is approved."""
        return self.step(request, pk, code=201)


# --- Customer messages -------------------------------------------------------------------------------

CUSTOMER_COUNTS = inline_serializer(
    "CustomerMessageCounts",
    {"pending": serializers.IntegerField(), "sent": serializers.IntegerField(), "failed": serializers.IntegerField()},
)


class StatementSendToCustomers(APIView):
    @extend_schema(
        request=None,
        responses=inline_serializer(
            "CustomerSending",
            {
                "queued": serializers.IntegerField(),
                "opted_out": serializers.IntegerField(),
                "customers": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        """Send the published customers' statement by SMS to the incident's customers: once each."""
        return Response(outreach.send_to_customers(pk, by=request.user))


class StatementCustomerMessages(APIView):
    @extend_schema(responses=CUSTOMER_COUNTS)
    def get(self, request: Request, pk: int) -> Response:
        return Response(outreach.counts(services.get_visible_statement(pk, request.user)))


class SmsReply(APIView):
    """The SMS gateway tells of a customer's reply; 退订 / T opts the number out. Signed by the
    gateway with the shared key (no user signs in here)."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []

    @extend_schema(
        request=inline_serializer("SmsReplyIn", {"phone": serializers.CharField(), "text": serializers.CharField()}),
        responses=inline_serializer("SmsReplyOut", {"opted_out": serializers.BooleanField()}),
    )
    def post(self, request: Request) -> Response:
        if not outreach.signature_ok(
            request.headers.get("X-Crisis-Timestamp", ""), request.headers.get("X-Crisis-Signature", ""), request.body
        ):
            return Response({"detail": _("The signature does not match.")}, status=status.HTTP_403_FORBIDDEN)
        data = request.data if isinstance(request.data, dict) else {}
        return Response({"opted_out": outreach.record_reply(data.get("phone"), data.get("text"))})
