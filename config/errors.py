"""Errors shared by every app's services, and how the JSON API reports them.

Services raise these (or Django's own ValidationError / PermissionDenied / DoesNotExist); the API,
the pages and the websocket consumers translate them for their audience. Bad input is never a 500.
"""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class RuleBroken(Exception):
    """The request is understood and allowed in principle, but would break a rule (HTTP 409).

    Examples: a second commander, publishing an unapproved statement, a transition the current
    state does not allow. `details` go into the JSON answer (e.g. the current commander or the
    transitions that are allowed) so that a client can tell its user what to do instead.
    """

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAllowed(PermissionDenied):
    """The signed-in user may not do this (HTTP 403)."""


def validation_error_payload(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
    else:
        errors = {"non_field_errors": [str(m) for m in exc.messages]}
    first = next(iter(errors.values()))[0]
    return {"detail": first, "errors": errors}


def _first_message(data: Any) -> str:
    if isinstance(data, dict):
        for value in data.values():
            return _first_message(value)
    if isinstance(data, list | tuple) and data:
        return _first_message(data[0])
    return str(data) if data else _("Invalid input.")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RuleBroken):
        return Response({"detail": exc.message, **exc.details}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_payload(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = {"detail": _first_message(response.data), "errors": response.data}
    elif isinstance(exc, Http404):
        response.data = {"detail": _("Not found.")}
    return response


@csrf_exempt  # it changes nothing; without this an unknown POST would get the HTML CSRF page
def json_not_found(request, exception=None):
    return JsonResponse({"detail": _("Not found.")}, status=404)
