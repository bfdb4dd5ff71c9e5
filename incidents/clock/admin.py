from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from config.admin_base import StaffMayLookMixin, registry_filter

from . import registry
from .models import Alarm, AlarmKind, CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Corrections to the working-day calendar; they win over the holidays library."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(Alarm)
class AlarmAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["fire_at", "owner", "owner_id", "kind_name", "handled_at", "handled_via", "cancelled_at"]
    list_filter = [registry_filter(_("owner type"), "owner_type", registry.labels), "handled_via"]
    search_fields = ["owner_id"]

    @admin.display(description=_("owner type"), ordering="owner_type")
    def owner(self, alarm: Alarm) -> str:
        return registry.label_of(alarm.owner_type)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_name(self, alarm: Alarm) -> str:
        return registry.kind_label(alarm.owner_type, alarm.kind, dict(AlarmKind.choices))
