"""Admin views of incidents are for looking: every change goes through the services (the console
pages and the API), which check the rules and write the timeline. The timeline is never editable."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from config.admin_base import ReadOnlyAdminMixin, StaffMayLookMixin, registry_filter

from . import timeline
from .models import EscalationPolicy, Incident, Page, RoleAssignment, TimelineEntry


class TimelineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TimelineEntry
    fields = ["seq", "at", "kind_name", "actor", "text", "data"]
    readonly_fields = fields
    extra = 0
    ordering = ["-seq"]
    show_change_link = False

    @admin.display(description=gettext_lazy("kind"))
    def kind_name(self, entry: TimelineEntry) -> str:
        return timeline.label(entry.kind)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class RoleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RoleAssignment
    fk_name = "incident"
    fields = ["role", "user", "started_at", "ended_at", "assigned_by", "briefing"]
    readonly_fields = fields
    extra = 0


@admin.register(Incident)
class IncidentAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["id", "title", "kind", "severity", "status", "commander", "declared_at", "restricted"]
    list_filter = ["status", "kind", "severity", "restricted"]
    search_fields = ["title", "location", "summary"]
    date_hierarchy = "declared_at"
    inlines = [RoleInline, TimelineInline]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["incident", "seq", "kind_name", "actor", "at"]
    list_filter = [registry_filter(gettext_lazy("kind"), "kind", timeline.kind_choices)]
    search_fields = ["text"]
    list_select_related = ["incident", "actor"]

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_name(self, entry: TimelineEntry) -> str:
        return timeline.label(entry.kind)


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    """How long a page waits for an acknowledgement, per severity, before the next rung is paged."""

    list_display = ["severity", "ack_within"]


@admin.register(Page)
class PageAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Who was paged for which incident, how far it escalated and who answered (read only)."""

    list_display = ["incident", "state", "step", "created_at", "acknowledged_at", "acknowledged_by"]
    list_filter = ["state", "step"]
    list_select_related = ["incident", "acknowledged_by"]
