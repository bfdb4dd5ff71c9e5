from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Role, Severity, TaskState
from incidents.services import MAX_TEXT, display_name
from playbooks.models import CrisisKind

User = get_user_model()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = display_name(obj)
        return name if name == obj.username else f"{name} ({obj.username})"


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


class DeclareForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of crisis"), choices=CrisisKind.choices)
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int, initial=3)
    location = forms.CharField(label=_("Location or project (楼盘)"), max_length=200, required=False)
    summary = forms.CharField(
        label=_("What is known"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MAX_TEXT,
    )
    detected_at = forms.DateTimeField(
        label=_("Detected at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    restricted = forms.BooleanField(
        label=_("Restricted"),
        required=False,
        help_text=_("Only participants, admins and executives will see it."),
    )
    commander = PersonChoiceField(
        label=_("Commander"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— name one later —"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["commander"].queryset = command_eligible_users()

    def clean_detected_at(self):
        value = self.cleaned_data.get("detected_at")
        if value and value > timezone.now() + timezone.timedelta(minutes=5):
            raise forms.ValidationError(_("The detection time cannot be in the future."))
        return value


class HandoverForm(forms.Form):
    user = PersonChoiceField(label=_("New commander"), queryset=User.objects.none())
    briefing = forms.CharField(
        label=_("Briefing"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=MAX_TEXT,
        help_text=_("Situation, objectives and priorities, organisation, resources, communications."),
    )

    def __init__(self, *args, incident=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        qs = command_eligible_users()
        if incident is not None and incident.commander_id:
            qs = qs.exclude(pk=incident.commander_id)
            self.fields["briefing"].required = True
        self.fields["user"].queryset = qs


class RoleForm(forms.Form):
    user = PersonChoiceField(label=_("Person"), queryset=User.objects.filter(is_active=True).order_by("username"))
    role = forms.ChoiceField(label=_("Role"), choices=[c for c in Role.choices if c[0] != Role.COMMANDER])
    briefing = forms.CharField(label=_("Briefing"), required=False, max_length=MAX_TEXT)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=MAX_TEXT, strip=True)


class TransitionForm(forms.Form):
    transition = forms.CharField(max_length=40, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=MAX_TEXT)


class TaskForm(forms.Form):
    state = forms.ChoiceField(choices=TaskState.choices)
    note = forms.CharField(label=_("Note or reason"), required=False, max_length=MAX_TEXT)


class DeadlineForm(forms.Form):
    action = forms.ChoiceField(choices=[("meet", _("Met")), ("waive", _("Waive"))])
    text = forms.CharField(label=_("Evidence or reason"), max_length=MAX_TEXT)


class PreferenceForm(forms.Form):
    email = forms.BooleanField(label=_("Also send me e-mail"), required=False)
    language = forms.ChoiceField(label=_("Language of my notifications"), choices=settings.LANGUAGES)
