"""Forms of the one-voice pages. They only shape input; crisis.services decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from config.forms import SerializerForm
from playbooks.models import Audience

from .voice import services
from .voice.models import TextLanguage
from .voice.serializers import (
    CommentSerializer,
    QALineEditSerializer,
    QALineRevisionSerializer,
    QALineWriteSerializer,
    ReasonSerializer,
    SeedSerializer,
    StatementCreateSerializer,
    StatementEditSerializer,
    VersionSerializer,
)


class StartDraftForm(forms.Form):
    """Step one of drafting: who it is for, and which template to start from."""

    audience = forms.ChoiceField(label=_("Audience"), choices=[("", "—"), *Audience.choices], required=False)
    template = forms.TypedChoiceField(label=_("Start from"), coerce=int, required=False, empty_value=None)
    language = forms.ChoiceField(label=_("Language of the text"), choices=TextLanguage.choices)

    def __init__(self, *args, incident, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— a blank statement —"))]
        language = services.language_of(get_language())
        for template in services.templates_for(incident):
            title, _body = services.fill_template(template, incident, language)  # as it will read
            label = f"{template.get_audience_display()} · {template.get_purpose_display()} · {title}"
            if template.use_when:
                label += " · " + str(_("use when: %(when)s") % {"when": template.use_when})
            if template.second_review:
                label += " · " + str(_("needs a second review"))
            choices.append((template.pk, label))
        self.fields["template"].choices = choices

    def clean(self):
        data = super().clean()
        if not data.get("audience") and not data.get("template"):
            raise forms.ValidationError(_("Choose an audience or a template."))
        return data


class DraftForm(SerializerForm):
    """Step two: the filled text, to edit before saving (and submitting)."""

    serializer_class = StatementCreateSerializer
    fields_order = ("audience", "template", "language", "title", "body")
    widgets = {
        "audience": forms.HiddenInput,
        "template": forms.HiddenInput,
        "language": forms.HiddenInput,
        "title": forms.TextInput,
        "body": forms.Textarea(attrs={"rows": 14}),
    }


class EditForm(SerializerForm):
    serializer_class = StatementEditSerializer
    widgets = {"title": forms.TextInput, "body": forms.Textarea(attrs={"rows": 14}), "version": forms.HiddenInput}


class VersionForm(SerializerForm):
    serializer_class = VersionSerializer
    widgets = {"version": forms.HiddenInput}


class CommentForm(SerializerForm):
    serializer_class = CommentSerializer
    widgets = {"comment": forms.Textarea(attrs={"rows": 2})}


class ReasonForm(SerializerForm):
    serializer_class = ReasonSerializer
    widgets = {"reason": forms.TextInput}


LINE_WIDGETS = {"question": forms.Textarea(attrs={"rows": 2}), "answer": forms.Textarea(attrs={"rows": 3})}


class LineForm(SerializerForm):
    serializer_class = QALineRevisionSerializer
    widgets = LINE_WIDGETS


class NewLineForm(SerializerForm):
    serializer_class = QALineWriteSerializer
    widgets = LINE_WIDGETS


class EditLineForm(SerializerForm):
    serializer_class = QALineEditSerializer
    widgets = {**LINE_WIDGETS, "version": forms.HiddenInput}


class SeedForm(SerializerForm):
    serializer_class = SeedSerializer
