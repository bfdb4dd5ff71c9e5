"""The duty roster in the admin: rotations with their members in turn order, and overrides."""

from django.contrib import admin

from .models import DutyOverride, DutyRotation, DutyRotationMember


class MemberInline(admin.TabularInline):
    model = DutyRotationMember
    extra = 1
    fields = ["order", "user"]


class OverrideInline(admin.TabularInline):
    model = DutyOverride
    extra = 0
    fields = ["user", "starts_at", "ends_at", "reason"]


@admin.register(DutyRotation)
class DutyRotationAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "crisis_kind", "period", "handover_time", "active"]
    list_filter = ["active", "position", "crisis_kind"]
    fields = [
        "name",
        "position",
        "crisis_kind",
        "period",
        "handover_time",
        "handover_weekday",
        "working_days_only",
        "starts_on",
        "active",
    ]
    inlines = [MemberInline, OverrideInline]
