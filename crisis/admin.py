"""Statements and Q&A lines in the admin are for looking only: approving and publishing happen in
the console (pages or API) through crisis.services, which check who may, lock the incident and
write the timeline. Nothing can be added, changed or deleted here."""

from django.contrib import admin

from incidents.admin import ReadOnlyAdminMixin

from .models import QALine, Statement, StatementRevision


class RevisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatementRevision
    fields = ["number", "edited_at", "edited_by", "title", "body"]
    readonly_fields = fields
    extra = 0


class StaffMayLook:
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(Statement)
class StatementAdmin(StaffMayLook, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "incident", "audience", "title", "state", "drafted_by", "approved_by", "published_at"]
    list_filter = ["state", "audience"]
    search_fields = ["title", "body"]
    list_select_related = ["incident", "drafted_by", "approved_by"]
    inlines = [RevisionInline]


@admin.register(QALine)
class QALineAdmin(StaffMayLook, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "incident", "question", "state", "approved_by", "approved_at"]
    list_filter = ["state"]
    search_fields = ["question", "answer"]
    list_select_related = ["incident", "approved_by"]
