"""Admin views of incidents are for looking: every change goes through the services (the console
pages and the API), which check the rules and write the timeline. The timeline is never editable."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .complaints.access import mask_name, mask_phone
from .complaints.models import VipFlag
from .models import (
    Alarm,
    CalendarDay,
    Complaint,
    ComplaintEvent,
    ComplaintView,
    EscalationRule,
    Incident,
    Notification,
    NotificationPreference,
    RoleAssignment,
    TimelineEntry,
    WebhookEndpoint,
)


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimelineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TimelineEntry
    fields = ["seq", "at", "kind", "actor", "text", "data"]
    readonly_fields = fields
    extra = 0
    ordering = ["-seq"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RoleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RoleAssignment
    fk_name = "incident"
    fields = ["role", "user", "started_at", "ended_at", "assigned_by", "briefing"]
    readonly_fields = fields
    extra = 0


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "title", "kind", "severity", "status", "commander", "declared_at", "restricted"]
    list_filter = ["status", "kind", "severity", "restricted"]
    search_fields = ["title", "location", "summary"]
    date_hierarchy = "declared_at"
    inlines = [RoleInline, TimelineInline]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["incident", "seq", "kind", "actor", "at"]
    list_filter = ["kind"]
    search_fields = ["text"]
    list_select_related = ["incident", "actor"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Corrections to the working-day calendar; they win over the holidays library."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Outside systems told about reminders and breaches (signed JSON)."""

    list_display = ["name", "url", "active"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "language"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every message sent or tried, with its attempts and last error: nothing is lost silently."""

    list_display = ["created_at", "channel", "event", "recipient", "endpoint", "state", "attempts", "last_error"]
    list_filter = ["state", "channel", "event"]
    list_select_related = ["recipient", "endpoint"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["fire_at", "kind", "incident", "deadline", "task", "handled_at", "handled_via", "cancelled_at"]
    list_filter = ["kind", "handled_via"]
    list_select_related = ["incident", "deadline", "task"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


# --- Complaints -------------------------------------------------------------------------------------


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
            "vip_flags",
            "threshold",
            "window_hours",
        ]


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    """When a complaint opens an incident: admins edit these; the first enabled match decides."""

    form = EscalationRuleForm
    list_display = ["order", "name", "trigger", "crisis_kind", "severity", "threshold", "window_hours", "enabled"]
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
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
