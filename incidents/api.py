"""JSON API for incidents. Thin: permission first, then the body, then a service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import query
from config.commands import Permission, validated
from playbooks.models import CrisisKind

from . import policy, services
from .models import Deadline, Incident, RoleAssignment, Status, Task, TimelineEntry
from .notify import delivery as notify
from .serializers import (
    AddDeadlineSerializer,
    CommanderSerializer,
    ConfirmSerializer,
    DeadlineSerializer,
    DeclareSerializer,
    IncidentDetailSerializer,
    IncidentSerializer,
    MeetSerializer,
    MoveSerializer,
    NoteSerializer,
    NotificationSerializer,
    PromiseSerializer,
    RoleSerializer,
    TaskSerializer,
    TaskUpdateSerializer,
    TimelineEntrySerializer,
    TransitionSerializer,
    UserSerializer,
    WaiveSerializer,
)

User = get_user_model()

TIMELINE_PAGE = 200
TIMELINE_MAX_PAGE = 1000


@extend_schema(
    parameters=[
        OpenApiParameter("status", str, enum=Status.values, description="Filter by status (repeatable)."),
        OpenApiParameter("kind", str, enum=CrisisKind.values, description="Filter by kind (repeatable)."),
        OpenApiParameter("open", bool, description="Only open incidents."),
    ]
)
class IncidentListCreate(generics.ListAPIView):
    serializer_class = IncidentSerializer

    def get_queryset(self):
        qs = Incident.objects.visible_to(self.request.user).select_related("commander", "spokesperson")
        params = self.request.query_params
        statuses = query.choices(self.request, "status", Status.values)
        if statuses:
            qs = qs.filter(status__in=statuses)
        kinds = query.choices(self.request, "kind", CrisisKind.values)
        if kinds:
            qs = qs.filter(kind__in=kinds)
        if params.get("open") in ("1", "true", "yes"):
            qs = qs.open()
        return qs.order_by("-declared_at", "-pk")

    @extend_schema(request=DeclareSerializer, responses={201: IncidentDetailSerializer})
    def post(self, request: Request) -> Response:
        policy.DECLARE.check(request.user)
        incident = services.declare_incident(by=request.user, **validated(DeclareSerializer, request.data))
        return Response(IncidentDetailSerializer(incident, context={"request": request}).data, status=201)


class IncidentDetail(APIView):
    @extend_schema(responses=IncidentDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        incident = services.get_visible_incident(pk, request.user)
        return Response(IncidentDetailSerializer(incident, context={"request": request}).data)


def _detail(request: Request, pk: int, code: int = 200) -> Response:
    incident = services.get_visible_incident(pk, request.user)
    return Response(IncidentDetailSerializer(incident, context={"request": request}).data, status=code)


class Step(APIView):
    """One command over HTTP: find what it acts on (404), check who may (403) before reading the
    body (400), and let the service decide under the incident's lock (409)."""

    may: ClassVar[Permission]
    body: ClassVar[type[serializers.Serializer]]
    service: ClassVar[Callable[..., Any]]

    def target(self, request: Request, pk: int) -> Incident:
        raise NotImplementedError

    def answer(self, request: Request, pk: int, result: Any) -> Response:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        self.may.check(request.user, self.target(request, pk))
        return self.answer(request, pk, type(self).service(pk, by=request.user, **validated(self.body, request.data)))


class IncidentStep(Step):
    """A step on an incident; the answer is the incident as it is now."""

    created: ClassVar[bool] = False

    def target(self, request: Request, pk: int) -> Incident:
        return services.get_visible_incident(pk, request.user)

    def answer(self, request: Request, pk: int, result: Any) -> Response:
        return _detail(request, pk, 201 if self.created else 200)


@extend_schema(request=TransitionSerializer, responses=IncidentDetailSerializer)
class IncidentTransition(IncidentStep):
    may, body, service = policy.CHANGE_STATUS, TransitionSerializer, services.transition_incident


@extend_schema(request=ConfirmSerializer, responses=IncidentDetailSerializer)
class IncidentConfirm(IncidentStep):
    """End triage: it happened (or stand it down with the transition `stand_down`)."""

    may, body, service = policy.CHANGE_STATUS, ConfirmSerializer, services.confirm_incident


@extend_schema(request=PromiseSerializer, responses={201: DeadlineSerializer})
class IncidentPromises(Step):
    """Record a promise made in the company's name: it becomes a deadline."""

    may, body, service = policy.RECORD_PROMISE, PromiseSerializer, services.record_promised

    def target(self, request: Request, pk: int) -> Incident:
        return services.get_visible_incident(pk, request.user)

    def answer(self, request: Request, pk: int, result: Any) -> Response:
        return Response(DeadlineSerializer(result).data, status=201)


@extend_schema(request=CommanderSerializer, responses=IncidentDetailSerializer)
class IncidentCommander(IncidentStep):
    may, body, service = policy.TAKE_COMMAND, CommanderSerializer, services.change_command


@extend_schema(request=RoleSerializer, responses={201: IncidentDetailSerializer})
class IncidentRoles(IncidentStep):
    may, body, service, created = policy.ASSIGN_ROLE, RoleSerializer, services.assign_role, True


class RoleEnd(APIView):
    @extend_schema(request=None, responses=IncidentDetailSerializer)
    def post(self, request: Request, pk: int) -> Response:
        assignment = RoleAssignment.objects.get(pk=pk)
        incident = services.get_visible_incident(assignment.incident_id, request.user)
        policy.END_ROLE.check(request.user, incident)
        services.end_role(pk, by=request.user)
        return _detail(request, incident.pk)


class IncidentTimeline(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Only entries with a greater sequence number."),
            OpenApiParameter("limit", int, description=f"At most this many (default {TIMELINE_PAGE})."),
        ],
        responses=inline_serializer(
            "TimelinePage",
            {
                "count": serializers.IntegerField(),
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": TimelineEntrySerializer(many=True),
            },
        ),
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = services.get_visible_incident(pk, request.user)
        after = query.non_negative_int(request, "after", 0)
        limit = query.non_negative_int(request, "limit", TIMELINE_PAGE, TIMELINE_MAX_PAGE) or TIMELINE_PAGE
        entries = list(
            TimelineEntry.objects.filter(incident=incident, seq__gt=after)
            .select_related("actor")
            .order_by("seq")[:limit]
        )
        # Sequence numbers are gapless, so the count after `after` is a subtraction.
        remaining = max(incident.last_seq - after, 0)
        next_url = None
        if entries and entries[-1].seq < incident.last_seq:
            next_url = request.build_absolute_uri(f"{request.path}?after={entries[-1].seq}&limit={limit}")
        return Response(
            {
                "count": remaining,
                "next": next_url,
                "previous": None,
                "results": TimelineEntrySerializer(entries, many=True).data,
            }
        )


class IncidentNotes(APIView):
    @extend_schema(request=NoteSerializer, responses={201: TimelineEntrySerializer})
    def post(self, request: Request, pk: int) -> Response:
        policy.ADD_NOTE.check(request.user, services.get_visible_incident(pk, request.user))
        entry = services.add_note(pk, by=request.user, **validated(NoteSerializer, request.data))
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class MuteSerializer(serializers.Serializer):
    muted = serializers.BooleanField(help_text="True: only pages and what asks me to act; false: everything.")


class IncidentMute(APIView):
    """POST /api/incidents/{id}/mute/ {"muted": true|false}: for an incident one only follows."""

    @extend_schema(request=MuteSerializer, responses=MuteSerializer)
    def post(self, request: Request, pk: int) -> Response:
        incident = services.get_visible_incident(pk, request.user)
        muted = validated(MuteSerializer, request.data)["muted"]
        return Response({"muted": notify.set_muted(request.user, "incident", incident.pk, muted)})


@extend_schema(
    parameters=[
        OpenApiParameter("username", str, description="Exact username."),
        OpenApiParameter("search", str, description="Part of a username or name."),
        OpenApiParameter("can_command", OpenApiTypes.BOOL, description="Only people who may command."),
    ]
)
class UserList(generics.ListAPIView):
    """The people one can assign to roles."""

    serializer_class = UserSerializer

    def get_queryset(self):
        qs = User.objects.filter(is_active=True).order_by("username")
        params = self.request.query_params
        if params.get("username"):
            qs = qs.filter(username=params["username"])
        if params.get("search"):
            term = params["search"][:100]
            qs = qs.filter(Q(username__icontains=term) | Q(first_name__icontains=term) | Q(last_name__icontains=term))
        if params.get("can_command") in ("1", "true", "yes"):
            qs = qs.filter(
                Q(is_superuser=True)
                | Q(groups__permissions__codename="command_incident")
                | Q(user_permissions__codename="command_incident")
            ).distinct()
        return qs


class IncidentTasks(generics.ListAPIView):
    serializer_class = TaskSerializer

    def get_queryset(self):
        incident = services.get_visible_incident(self.kwargs["pk"], self.request.user)
        return Task.objects.filter(incident=incident).select_related("assignee").order_by("order", "pk")


class TaskDetail(APIView):
    def _task(self, request: Request, pk: int) -> Task:
        task = Task.objects.get(pk=pk)
        services.get_visible_incident(task.incident_id, request.user)
        return task

    @extend_schema(responses=TaskSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TaskSerializer(self._task(request, pk)).data)

    @extend_schema(request=TaskUpdateSerializer, responses=TaskSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        policy.WORK_TASK.check(request.user, self._task(request, pk))
        task = services.update_task(pk, by=request.user, **validated(TaskUpdateSerializer, request.data))
        return Response(TaskSerializer(task).data)


class IncidentDeadlines(generics.ListAPIView):
    serializer_class = DeadlineSerializer

    def get_queryset(self):
        incident = services.get_visible_incident(self.kwargs["pk"], self.request.user)
        return Deadline.objects.filter(incident=incident).order_by("due_at", "pk")

    @extend_schema(request=AddDeadlineSerializer, responses={201: DeadlineSerializer})
    def post(self, request: Request, pk: int) -> Response:
        policy.ADD_DEADLINE.check(request.user, services.get_visible_incident(pk, request.user))
        deadline = services.add_deadline(pk, by=request.user, **validated(AddDeadlineSerializer, request.data))
        return Response(DeadlineSerializer(deadline).data, status=201)


def _visible_deadline(request: Request, pk: int) -> Deadline:
    deadline = Deadline.objects.get(pk=pk)
    services.get_visible_incident(deadline.incident_id, request.user)
    return deadline


class DeadlineStep(Step):
    """Meet, waive or move a deadline; the answer is the deadline as it is now."""

    def target(self, request: Request, pk: int) -> Incident:
        return _visible_deadline(request, pk).incident

    def answer(self, request: Request, pk: int, result: Any) -> Response:
        return Response(DeadlineSerializer(result).data)


@extend_schema(request=MeetSerializer, responses=DeadlineSerializer)
class DeadlineMeet(DeadlineStep):
    may, body, service = policy.MEET_DEADLINE, MeetSerializer, services.meet_deadline


@extend_schema(request=WaiveSerializer, responses=DeadlineSerializer)
class DeadlineWaive(DeadlineStep):
    may, body, service = policy.WAIVE_DEADLINE, WaiveSerializer, services.waive_deadline


@extend_schema(request=MoveSerializer, responses=DeadlineSerializer)
class DeadlineMove(DeadlineStep):
    may, body, service = policy.MOVE_DEADLINE, MoveSerializer, services.move_deadline


class MyNotifications(generics.ListAPIView):
    """The signed-in user's notifications in the console, newest first."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return notify.inbox(self.request.user)


class NotificationAck(APIView):
    """POST /api/notifications/{id}/ack/: "I have it". Acknowledging a page stops its escalation;
    acknowledging twice changes nothing. Only one's own notifications (others' are 404)."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request: Request, pk: int) -> Response:
        return Response(NotificationSerializer(notify.acknowledge(pk, request.user)).data)
