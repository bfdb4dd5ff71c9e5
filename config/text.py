"""Free text as every service takes it: a string, stripped, within its length, and without NUL
characters — which PostgreSQL cannot store and no person types. One rule for the API, the pages
and every service, so that the same input gets the same answer everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def one_newline(value: str) -> str:
    """Line breaks as "\n" only. Browsers post textareas with "\r\n": stored as sent, a text
    edited in two places differs on every line, and a diff shows only noise."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def normalise_text_fields(instance) -> None:
    """Every text of a model instance as a form would leave it, before it is saved: one newline,
    nothing blank at either end. Django's form fields strip what they are sent, so a text stored
    otherwise (an imported "keep the final newline" YAML block) would change on its first save in
    the editor, and every diff after it would show lines nobody touched."""
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if isinstance(value, str):
            normal = one_newline(value).strip()
            if normal != value:
                setattr(instance, field.attname, normal)


def text_error(value: Any, *, required: bool, max_length: int) -> tuple[str, str | None]:
    """(the cleaned text, the reason it is not acceptable or None)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", _("Must be text.")
    value = one_newline(value.strip())
    if "\x00" in value:
        return value, _("Null characters are not allowed.")
    if required and not value:
        return value, _("This field is required.")
    if len(value) > max_length:
        return value, _("At most %(n)d characters.") % {"n": max_length}
    return value, None


def clean_text(value: Any, field: str, *, required: bool, max_length: int) -> str:
    """The cleaned text, or a ValidationError naming `field`."""
    value, error = text_error(value, required=required, max_length=max_length)
    if error:
        raise ValidationError({field: error})
    return value
