from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_base import StaffMayLookMixin

from . import registry
from .models import Alarm, AlarmKind, CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Corrections to the working-day calendar; they win over the holidays library."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


class OwnerTypeFilter(admin.SimpleListFilter):
    """By what the alarm belongs to, named as the registering domain names it."""

    title = _("owner type")
    parameter_name = "owner_type"

    def lookups(self, request, model_admin):
        return registry.labels()

    def queryset(self, request, queryset):
        return queryset.filter(owner_type=self.value()) if self.value() else queryset


@admin.register(Alarm)
class AlarmAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["fire_at", "owner", "owner_id", "kind_name", "handled_at", "handled_via", "cancelled_at"]
    list_filter = [OwnerTypeFilter, "handled_via"]
    search_fields = ["owner_id"]

    @admin.display(description=_("owner type"), ordering="owner_type")
    def owner(self, alarm: Alarm) -> str:
        return registry.label_of(alarm.owner_type)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, alarm: Alarm) -> str:
        return registry.kind_label(alarm.owner_type, alarm.kind, dict(AlarmKind.choices))
