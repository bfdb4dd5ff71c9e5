"""JSON API of reviews. Thin: find what the caller may see (404), check they may act (403), read
the body (400), call the service (409 when a rule would break)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.commands import validated
from config.query import choices, non_negative_int
from incidents import permissions
from incidents.services import get_visible_incident

from . import policy, services
from .data import actions_visible_to, review_data
from .models import ActionState, ReviewAction
from .serializers import (
    ActionCreateSerializer,
    ActionFinishSerializer,
    ActionSerializer,
    FeedbackSerializer,
    FeedbackWriteSerializer,
    ReviewEditSerializer,
    ReviewSerializer,
)


def _closed_incident(pk: int, user):
    incident = get_visible_incident(pk, user)
    services._closed(incident)
    return incident


class IncidentReview(APIView):
    """The after-action review of a closed incident (409 while it is not closed)."""

    conflict_on_read = True

    @extend_schema(responses={200: ReviewSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(review_data(services.review_of(pk, request.user)))

    @extend_schema(request=ReviewEditSerializer, responses={200: ReviewSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        policy.WRITE_REVIEW.check(request.user, _closed_incident(pk, request.user))
        fields = {k: v for k, v in validated(ReviewEditSerializer, request.data).items() if k in request.data}
        review = services.edit_review(pk, by=request.user, **fields)
        return Response(review_data(review))


class ReviewSignOff(APIView):
    @extend_schema(request=None, responses={200: ReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        policy.SIGN_OFF.check(request.user, _closed_incident(pk, request.user))
        return Response(review_data(services.sign_off(pk, by=request.user)))


class ReviewFeedback(APIView):
    @extend_schema(request=FeedbackWriteSerializer, responses={200: FeedbackSerializer})
    def post(self, request: Request, pk: int) -> Response:
        policy.GIVE_FEEDBACK.check(request.user, _closed_incident(pk, request.user))
        feedback = services.give_feedback(pk, by=request.user, **validated(FeedbackWriteSerializer, request.data))
        return Response(FeedbackSerializer(feedback).data)


class ReviewActions(APIView):
    @extend_schema(request=ActionCreateSerializer, responses={201: ActionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        policy.ADD_ACTION.check(request.user, _closed_incident(pk, request.user))
        body = validated(ActionCreateSerializer, request.data)
        action = services.add_action(
            pk,
            by=request.user,
            title=body["title"],
            owner_id=body["owner"],
            due_at=body["due_at"],
            change_playbook=body["change_playbook"],
        )
        return Response(ActionSerializer(action).data, status=201)


@extend_schema(
    parameters=[
        OpenApiParameter("open", int, enum=[0, 1], description="1: only open items."),
        OpenApiParameter("owner", int, description="Only this owner's items."),
    ]
)
class ActionList(generics.ListAPIView):
    """Action items across the company, of the incidents the caller may see, soonest due first."""

    serializer_class = ActionSerializer

    def get_queryset(self):
        queryset = actions_visible_to(self.request.user)
        if choices(self.request, "open", ["0", "1"]) == ["1"]:
            queryset = queryset.filter(state=ActionState.OPEN)
        owner = non_negative_int(self.request, "owner", 0)
        if owner:
            queryset = queryset.filter(owner_id=owner)
        return queryset.order_by("due_at", "pk")


class ActionFinish(APIView):
    @extend_schema(request=ActionFinishSerializer, responses={200: ActionSerializer})
    def post(self, request: Request, pk: int) -> Response:
        action = ReviewAction.objects.select_related("review__incident").get(pk=pk)
        if not permissions.may_view(request.user, action.review.incident):
            raise ReviewAction.DoesNotExist
        policy.FINISH_ACTION.check(request.user, action)
        action = services.finish_action(pk, by=request.user, **validated(ActionFinishSerializer, request.data))
        return Response(ActionSerializer(action).data)
