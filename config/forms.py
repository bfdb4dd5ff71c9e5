"""Page forms made from a command's typed input.

A use case has one input: a DRF serializer that the API validates request bodies with and the
OpenAPI schema describes. A page form for the same use case is drawn from that serializer (labels,
help, choices, widgets) and validated *by* it, so a page and the API can never disagree about what
is acceptable. Only how a field looks for a person (a textarea's rows, a date picker) is the page's
own business.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.forms.utils import ErrorDict
from rest_framework import serializers
from rest_framework.relations import PrimaryKeyRelatedField

DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
LONG_TEXT = 250  # a text field longer than this is a textarea


def _messages(errors: Any) -> list[str]:
    """DRF's error details, flattened to sentences (nested lists and dicts for list fields)."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in _messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in _messages(value)]
    return [str(errors)]


def form_field(field: serializers.Field, widget: forms.Widget | None = None) -> forms.Field:
    """A Django form field that draws `field` for a person; validation stays with the serializer."""
    options: dict[str, Any] = {
        "label": field.label,
        "help_text": field.help_text or "",
        "required": field.required and not isinstance(field, serializers.BooleanField),
    }
    if field.initial not in (None, serializers.empty) and field.initial != "":
        options["initial"] = field.initial
    elif field.default is not serializers.empty and not callable(field.default):
        options["initial"] = field.default
    if widget is not None:
        options["widget"] = widget
    if isinstance(field, PrimaryKeyRelatedField):
        return forms.ModelChoiceField(queryset=field.get_queryset(), **options)
    if isinstance(field, serializers.ListField) and isinstance(field.child, serializers.ChoiceField):
        options.setdefault("widget", forms.CheckboxSelectMultiple)
        return forms.MultipleChoiceField(choices=list(field.child.choices.items()), **options)
    if isinstance(field, serializers.ChoiceField):
        choices = list(field.choices.items())
        if not options["required"]:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **options)
    if isinstance(field, serializers.BooleanField):
        return forms.BooleanField(**options)
    if isinstance(field, serializers.DateTimeField):
        options.setdefault("widget", DATETIME_LOCAL)
        return forms.DateTimeField(**options)
    if isinstance(field, serializers.IntegerField):
        return forms.IntegerField(min_value=field.min_value, max_value=field.max_value, **options)
    max_length = getattr(field, "max_length", None)
    if max_length is None or max_length > LONG_TEXT:
        options.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
    return forms.CharField(max_length=max_length, **options)


class SerializerForm(forms.Form):
    """A form whose fields come from `serializer_class` and whose validation *is* that serializer.
    `widgets` sets how a field looks; `fields_order` (optional) which fields show, in what order.
    `cleaned_data` is the serializer's validated data: exactly what the API would pass on."""

    serializer_class: ClassVar[type[serializers.Serializer]]
    widgets: ClassVar[dict[str, forms.Widget]] = {}
    fields_order: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, data=None, *args, context: dict[str, Any] | None = None, **kwargs) -> None:
        super().__init__(data, *args, **kwargs)
        self.context = context or {}
        shape = self.serializer_class(context=self.context).fields
        names = self.fields_order or [name for name, field in shape.items() if not field.read_only]
        for name in names:
            self.fields[name] = form_field(shape[name], self.widgets.get(name))

    def full_clean(self) -> None:
        self._errors = ErrorDict()
        self.cleaned_data = {}
        if not self.is_bound:
            return
        serializer = self.serializer_class(data=self.data, context=self.context)
        if serializer.is_valid():
            self.cleaned_data = dict(serializer.validated_data)
            return
        for name, errors in serializer.errors.items():
            for message in _messages(errors):
                self.add_error(name if name in self.fields else None, message)
