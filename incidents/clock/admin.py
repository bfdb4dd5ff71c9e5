from django.contrib import admin

from config.admin_base import StaffMayLookMixin

from .models import Alarm, CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Corrections to the working-day calendar; they win over the holidays library."""

    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(Alarm)
class AlarmAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["fire_at", "owner_type", "owner_id", "kind", "handled_at", "handled_via", "cancelled_at"]
    list_filter = ["owner_type", "kind", "handled_via"]
    search_fields = ["owner_id"]
