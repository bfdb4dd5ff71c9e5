"""Complaints in the admin: the escalation rules and the time-limit profile are edited here;
complaints themselves are for looking (handling happens on the complaint's page)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_base import ReadOnlyAdminMixin, StaffMayLookMixin

from .access import mask_name, mask_phone
from .models import Complaint, ComplaintEvent, ComplaintView, EscalationRule, TimeLimitProfile, VipFlag


@admin.register(TimeLimitProfile)
class TimeLimitProfileAdmin(admin.ModelAdmin):
    """The limits complaints are held to. A complaint keeps the profile in force when it came in;
    changes apply to clocks started afterwards. Exactly one profile is in force."""

    list_display = [
        "name",
        "in_force",
        "day_unit",
        "acknowledge_working_days",
        "resolve_general_working_days",
        "resolve_complex_working_days",
        "higher_acknowledge_working_days",
        "higher_resolve_working_days",
        "extension_limit_days",
        "follow_up_days",
        "frequent_complainer_count",
        "frequent_complainer_days",
    ]
    fieldsets = [
        (None, {"fields": ["name", "in_force", "day_unit"]}),
        (
            _("Time limits"),
            {
                "fields": [
                    "acknowledge_working_days",
                    "resolve_general_working_days",
                    "resolve_complex_working_days",
                    "higher_acknowledge_working_days",
                    "higher_resolve_working_days",
                    "extension_limit_days",
                    "follow_up_days",
                ]
            },
        ),
        (_("Frequent complainers"), {"fields": ["frequent_complainer_count", "frequent_complainer_days"]}),
        (_("Reminders"), {"fields": ["reminder_minutes", "reply_reminder_minutes"]}),
    ]


class EscalationRuleForm(forms.ModelForm):
    """VIP flags as checkboxes, so an admin cannot save a flag that does not exist."""

    vip_flags = forms.MultipleChoiceField(
        label=_("VIP flags that trigger"),
        choices=VipFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only for the VIP trigger."),
    )

    class Meta:
        model = EscalationRule
        fields = [
            "order",
            "enabled",
            "name_zh",
            "name_en",
            "trigger",
            "crisis_kind",
            "severity",
            "opens_in_triage",
            "vip_flags",
            "threshold",
            "window_hours",
        ]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """When a complaint opens an incident: admins edit these; the first enabled match decides."""

    form = EscalationRuleForm
    list_display = ["order", "name", "trigger", "crisis_kind", "severity", "opens_in_triage", "threshold",
                    "window_hours", "enabled"]  # fmt: skip
    list_display_links = ["name"]
    list_editable = ["enabled"]
    list_filter = ["trigger", "enabled", "crisis_kind"]


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    fields = ["at", "kind", "actor", "level", "state", "text", "data"]
    readonly_fields = fields
    extra = 0


class ComplaintViewInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintView
    fields = ["at", "user", "via"]
    readonly_fields = fields
    extra = 0


@admin.register(Complaint)
class ComplaintAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """For looking, with personal details masked: handling happens on the complaint's page, which
    records who saw the customer's name and phone."""

    list_display = ["id", "received_at", "channel", "category", "project", "state", "level", "incident", "customer"]
    list_filter = ["state", "level", "channel", "category", "complexity"]
    search_fields = ["project", "unit", "description"]
    date_hierarchy = "received_at"
    exclude = ["customer_name", "customer_phone"]
    readonly_fields = ["customer"]
    inlines = [ComplaintEventInline, ComplaintViewInline]

    @admin.display(description=_("customer"))
    def customer(self, obj: Complaint) -> str:
        return f"{mask_name(obj.customer_name)} {mask_phone(obj.customer_phone)}".strip()
