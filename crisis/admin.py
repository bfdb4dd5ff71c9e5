from django.contrib import admin

from config.admin_base import StaffMayLookMixin

from .models import PeriodicReport


@admin.register(PeriodicReport)
class PeriodicReportAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Reports are made on schedule or on the Reports page; the admin looks (and may delete one)."""

    list_display = ["period", "starts_on", "ends_on", "generated_at", "generated_by"]
    list_filter = ["period"]
    readonly_fields = ["period", "starts_on", "ends_on", "incidents", "complaints", "generated_at", "generated_by"]

    def has_add_permission(self, request):
        return False
