"""GET /api/duty/: who is on duty as incident commander, primary and backup, now and next."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.commands import validated

from . import roster
from .models import DutyPosition
from .serializers import DutyQuerySerializer, DutySerializer


def duty_answer(at, kind: str) -> dict:
    duty = roster.on_duty(at, kind)
    return {
        "at": at,
        "kind": kind,
        # DESIGN.md's contract: the people on duty now, at the top; the shifts in `positions`.
        "primary": duty[DutyPosition.PRIMARY][0].user,
        "backup": duty[DutyPosition.BACKUP][0].user,
        "positions": [
            {"position": position, "label": DutyPosition(position).label, "now": now, "next": following}
            for position, (now, following) in duty.items()
        ],
    }


class Duty(APIView):
    """Everyone signed in may see who is on duty: that is whom to call."""

    @extend_schema(parameters=[DutyQuerySerializer], responses=DutySerializer)
    def get(self, request: Request) -> Response:
        query = validated(DutyQuerySerializer, request.query_params)
        answer = duty_answer(query.get("at") or timezone.now(), query.get("kind") or "")
        return Response(DutySerializer(answer).data)
