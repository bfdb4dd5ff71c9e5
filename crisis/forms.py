"""The war room's forms. Each is drawn from its command's typed input (the serializer the API
uses, config.forms) and validated by it; what is here is only how a field looks for a person."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.forms import SerializerForm
from incidents.models import Role
from incidents.notify.models import Kind
from incidents.serializers import (
    CommanderSerializer,
    ConfirmSerializer,
    DeclareSerializer,
    MeetSerializer,
    NoteSerializer,
    PromiseSerializer,
    RoleSerializer,
    TaskUpdateSerializer,
    TransitionSerializer,
    WaiveSerializer,
)
from incidents.timeline import display_name

User = get_user_model()


def person_label(user) -> str:
    name = display_name(user)
    return name if name == user.username else f"{name} ({user.username})"


def command_eligible_users():
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__codename="command_incident")
            | Q(user_permissions__codename="command_incident")
        )
        .distinct()
        .order_by("username")
    )


def _people(field: forms.ModelChoiceField, queryset, empty_label=None) -> None:
    """Offer only `queryset`, each person by name (the command still validates whoever is sent)."""
    field.queryset = queryset
    field.label_from_instance = person_label
    if empty_label is not None:
        field.empty_label = empty_label


class DeclareForm(SerializerForm):
    serializer_class = DeclareSerializer
    fields_order = ("title", "kind", "severity", "location", "summary", "detected_at", "restricted", "triage",
                    "exercise", "drill_script", "commander")  # fmt: skip
    widgets = {"summary": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _people(self.fields["commander"], command_eligible_users(), empty_label=_("— name one later —"))


class HandoverForm(SerializerForm):
    serializer_class = CommanderSerializer
    widgets = {"briefing": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, incident=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        people = command_eligible_users()
        if incident is not None and incident.commander_id:
            people = people.exclude(pk=incident.commander_id)
            self.fields["briefing"].required = True  # the service insists too: a hand-over is briefed
        _people(self.fields["user"], people)


class RoleForm(SerializerForm):
    serializer_class = RoleSerializer
    widgets = {"briefing": forms.TextInput}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _people(self.fields["user"], User.objects.filter(is_active=True).order_by("username"))
        # Command changes hands on its own page, with a briefing (the hand-over).
        self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.COMMANDER]


class NoteForm(SerializerForm):
    serializer_class = NoteSerializer
    widgets = {"text": forms.Textarea(attrs={"rows": 2})}


class PromiseForm(SerializerForm):
    serializer_class = PromiseSerializer
    widgets = {"promise": forms.TextInput}


class ConfirmForm(SerializerForm):
    serializer_class = ConfirmSerializer
    widgets = {"note": forms.TextInput}


class TransitionForm(SerializerForm):
    serializer_class = TransitionSerializer
    widgets = {"transition": forms.HiddenInput, "note": forms.TextInput}


class GuardedTransitionForm(SerializerForm):
    """Standing down, resolving, closing: the reason is asked (the service requires it too)."""

    serializer_class = TransitionSerializer
    widgets = {"transition": forms.HiddenInput, "note": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, closing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["note"].required = True
        if closing:
            self.fields["note"].label = _("Closing summary")
            items = self.fields["open_items"]
            items.choices = [choice for choice in items.choices if choice[0]]
            items.widget = forms.RadioSelect(choices=items.choices)
            items.required, items.initial = True, "keep"
        else:
            del self.fields["open_items"]


class TaskForm(SerializerForm):
    serializer_class = TaskUpdateSerializer
    fields_order = ("state", "note")
    widgets = {"note": forms.TextInput}


class MeetForm(SerializerForm):
    serializer_class = MeetSerializer


class ReportForm(MeetForm):
    """Meeting a report to an authority: how it was made, to whom, who took it, when."""

    fields_order = ("channel", "authority", "received_by", "reported_at", "evidence")
    widgets = {"evidence": forms.TextInput}


class WaiveForm(SerializerForm):
    serializer_class = WaiveSerializer


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("Also send me e-mail"), required=False)
    email_kinds = forms.MultipleChoiceField(
        label=_("By e-mail, about"), choices=Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    sms_pages = forms.BooleanField(label=_("Pages also by SMS"), required=False)
    phone = forms.CharField(label=_("Mobile number for pages"), required=False, max_length=20)
    quiet_from = forms.TimeField(
        label=_("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("In quiet hours only the console hears; e-mail and SMS wait — except pages at severity I–II."),
    )
    quiet_until = forms.TimeField(
        label=_("Quiet hours until"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    language = forms.ChoiceField(label=_("Language of my notifications"), choices=settings.LANGUAGES)
