"""Query parameters as every list in the API reads them: bad values are a 400 naming the
parameter, never an empty list that looks like an answer."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def choices(request: Request, name: str, allowed) -> list[str]:
    """The values given for `name` (repeatable), each one of `allowed`."""
    values = request.query_params.getlist(name)
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("Unknown value: %(v)s") % {"v": ", ".join(unknown)}]})
    return values


def non_negative_int(request: Request, name: str, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Must be a whole number.")]}) from None
    if value < 0:
        raise ValidationError({name: [_("Must be zero or more.")]})
    return min(value, maximum) if maximum is not None else value
