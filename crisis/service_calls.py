"""How a page calls a service: the service's refusals become errors the user reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from config.errors import RuleBroken


def call_service(request: HttpRequest, form, call: Callable[[], Any], *, refusal_as_message: bool = True) -> Any | None:
    """Run a service call for a form; turn the service's refusals into errors the user reads.
    With refusal_as_message=False a NotAllowed (a PermissionDenied) is not caught: the 403 page."""
    try:
        return call()
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and form is not None:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            for error in exc.messages:
                messages.error(request, error)
    except RuleBroken as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        if not refusal_as_message:
            raise
        messages.error(request, str(exc) or _("You may not do that."))
    except ObjectDoesNotExist:
        # Whatever the page named is gone, or was never there, or is not the caller's to see.
        raise Http404(_("Not found.")) from None
    return None


def errors_as_messages(request: HttpRequest, form, *, with_labels: bool = False) -> None:
    """A form's errors as messages on the page it returns to (panels show no inline errors)."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if with_labels and field in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def submit(request: HttpRequest, form, service: Callable[..., Any], success: str = "") -> Any | None:
    """A page form's command: validate the form (its command's input), call the service with what
    it cleaned, say `success` when it is done; what went wrong becomes messages."""
    done = None
    if form.is_valid():
        done = call_service(request, form, lambda: service(**form.cleaned_data))
        if done is not None and success:
            messages.success(request, success)
    errors_as_messages(request, form)
    return done
