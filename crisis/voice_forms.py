"""Forms of the one-voice pages. They only shape input; crisis.services decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from playbooks.models import Audience

from .voice import services
from .voice.models import TextLanguage


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
            if template.second_review:
                label += " · " + str(_("needs a second review"))
            choices.append((template.pk, label))
        self.fields["template"].choices = choices

    def clean(self):
        data = super().clean()
        if not data.get("audience") and not data.get("template"):
            raise forms.ValidationError(_("Choose an audience or a template."))
        return data


class DraftForm(forms.Form):
    """Step two: the filled text, to edit before saving (and submitting)."""

    audience = forms.ChoiceField(choices=Audience.choices, widget=forms.HiddenInput)
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)
    language = forms.ChoiceField(choices=TextLanguage.choices, widget=forms.HiddenInput)
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    body = forms.CharField(
        label=_("Text"),
        max_length=services.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Plain text; line breaks are kept. Confirmed facts only; say when the next update comes."),
    )


class EditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=services.MAX_TITLE)
    body = forms.CharField(label=_("Text"), max_length=services.MAX_BODY, widget=forms.Textarea(attrs={"rows": 14}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class VersionForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("What should change"), max_length=services.MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=services.MAX_COMMENT)


class LineForm(forms.Form):
    question = forms.CharField(
        label=_("Question"), max_length=services.MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 2})
    )
    answer = forms.CharField(
        label=_("Approved answer"), max_length=services.MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3})
    )


class NewLineForm(LineForm):
    language = forms.ChoiceField(label=_("Language"), choices=TextLanguage.choices)


class EditLineForm(LineForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SeedForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=TextLanguage.choices)
