"""Forms of the complaint pages. They only shape input; incidents.complaints.services decides
(and its refusals are mapped back onto these forms' fields)."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.forms import DATETIME_LOCAL, SerializerForm
from incidents.complaints import services
from incidents.complaints.models import (
    ComplaintCategory,
    ComplaintChannel,
    ComplaintState,
    Complexity,
    CustomerWants,
    ReplyMethod,
    ReportClass,
    RootCause,
    VipFlag,
)
from incidents.complaints.serializers import (
    ComplainedAboutSerializer,
    ExtendSerializer,
    ReplyConfirmSerializer,
    ReplyTextSerializer,
)

from .forms import person_label

MAX_TEXT = services.MAX_TEXT
BLANK = [("", "—")]


def _text(label, *, rows: int = 3, required: bool = False, help_text: str = "", max_length: int = MAX_TEXT):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


def _staff_field(field: forms.ModelChoiceField, empty_label) -> forms.ModelChoiceField:
    """Active people by name; the service checks whoever is sent all the same."""
    field.queryset = get_user_model().objects.filter(is_active=True).order_by("username")
    field.label_from_instance = person_label
    field.empty_label = empty_label
    field.required = False
    return field


def _accepted_types() -> str:
    return ",".join(sorted(services.ATTACHMENT_TYPES))


class AttachmentField(forms.FileField):
    """The same checks as services.add_attachment, before anything is written: a complaint logged
    with a file it will refuse would otherwise be half-written."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": _accepted_types()}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload:
            return upload
        _name, error = services.attachment_error(upload)
        if error:
            raise forms.ValidationError(error)
        return upload


class IntakeForm(forms.Form):
    """Logging a complaint as staff take it down (the first part of the handling form, 处理单)."""

    required_css_class = "required"

    channel = forms.ChoiceField(label=_("Channel"), choices=BLANK + ComplaintChannel.choices)
    category = forms.ChoiceField(label=_("Category"), choices=BLANK + ComplaintCategory.choices)
    complexity = forms.ChoiceField(
        label=_("Complexity"),
        choices=Complexity.choices,
        initial=Complexity.GENERAL,
        help_text=_(
            "General: work mistakes, attitude, internal management (3 working days). "
            "Complex: products, channels, violations (5 working days)."
        ),
    )
    customer_name = forms.CharField(label=_("Customer name"), max_length=100, required=False)
    customer_phone = forms.CharField(
        label=_("Customer phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    unit = forms.CharField(label=_("Unit or order"), max_length=100, required=False)
    project = forms.CharField(label=_("Project (楼盘)"), max_length=200, required=False)
    description = _text(
        _("What the customer says"),
        rows=5,
        required=True,
        help_text=_("The facts as told, in the customer's words. Keep opinions out."),
    )
    wants = forms.ChoiceField(label=_("The customer wants"), choices=BLANK + CustomerWants.choices, required=False)
    vip = forms.MultipleChoiceField(
        label=_("VIP complainer"),
        choices=VipFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    injury_risk = forms.BooleanField(label=_("Risk of injury, fire, accident or health harm"), required=False)
    online_spread = forms.BooleanField(label=_("Spreading online"), required=False)
    mass_complaint = forms.BooleanField(label=_("Mass complaint (owners acting together)"), required=False)
    complained_about = forms.ModelChoiceField(
        label=_("Staff member complained about"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("If the complaint is about one of us: they are kept off the case."),
    )
    attachment = AttachmentField(label=_("Attachment"), required=False)
    # One key per rendering of the form: a double-click or a resubmitted page logs one complaint.
    form_key = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_key", uuid.uuid4().hex)
        _staff_field(self.fields["complained_about"], _("— nobody in particular —"))
        self.fields["attachment"].help_text = gettext(
            "Optional: a photo, a letter, a recording (at most %(mb)d MB)."
        ) % {"mb": settings.CRISIS_COMPLAINT_MAX_ATTACHMENT_BYTES // 2**20}

    def intake_data(self) -> dict:
        """The service's intake body (the same one the JSON API takes)."""
        data = dict(self.cleaned_data)
        data.pop("attachment", None)
        data.pop("form_key", None)
        person = data.pop("complained_about", None)
        data["complained_about"] = person.pk if person is not None else None
        return data


class ComplaintFilterForm(forms.Form):
    SHOW = [("open", _("Open")), ("all", _("All"))]

    show = forms.ChoiceField(label=_("Show"), choices=SHOW, required=False)
    state = forms.ChoiceField(label=_("State"), choices=[("", _("Any state")), *ComplaintState.choices], required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Any category")), *ComplaintCategory.choices], required=False
    )
    project = forms.CharField(label=_("Project"), max_length=200, required=False)
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    # An id beyond the database's integer range is no incident (and must not reach the query).
    incident = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)


# --- The handling steps ------------------------------------------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)


class InvestigateForm(forms.Form):
    facts = _text(_("Facts found so far"), help_text=_("What was seen on site, in the records, by the people."))
    emotions = _text(_("Emotions and expectations"), rows=2)
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)


class ProposeForm(forms.Form):
    facts = _text(_("Verified facts"), help_text=_("Separate from the customer's emotions."))
    root_cause_category = forms.ChoiceField(
        label=_("Kind of root cause"), choices=[("", "—"), *RootCause.choices], required=False
    )
    root_cause = _text(_("Root cause"), rows=2, required=True)
    options = _text(_("Options considered"), rows=2)
    solution = _text(_("Solution proposed to the customer"), required=True)
    compensation = forms.DecimalField(
        label=_("Compensation (yuan)"),
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
    )
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["compensation"].help_text = gettext(
            "Above %(limit)s yuan it needs approval from the level above before the customer is told."
        ) % {"limit": settings.CRISIS_COMPLAINT_APPROVAL_ABOVE}


class FollowUpForm(forms.Form):
    SATISFACTION = [
        ("", "—"),
        ("5", _("5 — fully satisfied")),
        ("4", _("4 — satisfied")),
        ("3", _("3 — neutral")),
        ("2", _("2 — dissatisfied")),
        ("1", _("1 — not at all")),
    ]
    satisfaction = forms.ChoiceField(label=_("Customer satisfaction"), choices=SATISFACTION)
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)


class CloseForm(forms.Form):
    """Closing reports to the supervisor (LASTR's "report"): category 1 orally, category 2 in writing."""

    report_class = forms.TypedChoiceField(
        label=_("Report to the supervisor"),
        choices=ReportClass.choices,
        coerce=int,
        empty_value=None,
        required=False,  # the service asks for it (when the complaint can close), beside the field
        widget=forms.RadioSelect,
    )
    reported_to = forms.CharField(
        label=_("Reported to"),
        max_length=200,
        required=False,
        help_text=_("Who was told (required for a category 1, oral report)."),
    )
    report_text = _text(
        _("Written report"), rows=4, help_text=_("The report to the level above (required for category 2).")
    )
    note = forms.CharField(label=_("Note"), max_length=MAX_TEXT, required=False)


class DisputeForm(forms.Form):
    reason = _text(_("What the customer does not accept"), rows=2, required=True)
    outside_body = forms.CharField(
        label=_("Outside body"),
        max_length=200,
        required=False,
        help_text=_("Needed at the top of the ladder: consumer association, regulator, arbitration, court."),
    )


STEP_FORMS: dict[str, type[forms.Form]] = {
    "acknowledge": NoteForm,
    "investigate": InvestigateForm,
    "propose": ProposeForm,
    "approve": NoteForm,
    "agree": NoteForm,
    "implement": NoteForm,
    "follow_up": FollowUpForm,
    "close": CloseForm,
    "dispute": DisputeForm,
}


def step_form(action: str, data=None, *, initial=None) -> forms.Form:
    """The form of one step; prefixed, so that several on one page keep their own fields."""
    return STEP_FORMS[action](data, prefix=action, initial=initial)


# --- Replies and attachments --------------------------------------------------------------------------


class ReplyForm(forms.Form):
    method = forms.ChoiceField(label=_("How"), choices=ReplyMethod.choices, initial=ReplyMethod.PHONE)
    at = forms.DateTimeField(
        label=_("When"),
        widget=DATETIME_LOCAL,
        help_text=_("Phone calls are moved into business hours on a working day unless urgent or agreed."),
    )
    urgent = forms.BooleanField(label=_("Urgent, or the customer asked for this time"), required=False)
    promised = _text(_("What we promise to tell the customer"), rows=2)
    text = _text(
        _("Text of the written reply"),
        rows=4,
        help_text=_("Letter or fax only: it goes once a business manager has confirmed this text."),
    )


class ReplyGivenForm(forms.Form):
    given = _text(_("Reply given"), rows=2, required=True)


class ReplySentForm(forms.Form):
    """A written reply goes with its confirmed text: recording it sent asks for nothing more."""


def reply_given_form(reply, data=None, **kwargs) -> forms.Form:
    form_class = ReplySentForm if reply.needs_confirmation else ReplyGivenForm
    return form_class(data, prefix=f"given-{reply.pk}", **kwargs)


class ReplyTextForm(SerializerForm):
    serializer_class = ReplyTextSerializer
    widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class ReplyConfirmForm(SerializerForm):
    serializer_class = ReplyConfirmSerializer
    widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class ComplainedAboutForm(SerializerForm):
    serializer_class = ComplainedAboutSerializer
    widgets = {"note": forms.TextInput}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _staff_field(self.fields["user"], _("— nobody in particular —"))


class ExtendForm(SerializerForm):
    serializer_class = ExtendSerializer
    widgets = {"reason": forms.Textarea(attrs={"rows": 2})}


class AttachmentForm(forms.Form):
    file = AttachmentField(label=_("File"))
