"""Statements and Q&A lines in the admin are for looking only: approving and publishing happen in
the console (pages or API) through crisis.voice.services, which check who may, lock the incident and
write the timeline. Nothing can be added, changed or deleted here."""

from django.contrib import admin

from config.admin_base import ReadOnlyAdminMixin, StaffMayLookMixin

from .models import CompanyProfile, CustomerMessage, CustomerOptOut, QALine, Statement, StatementRevision


class RevisionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatementRevision
    fields = ["number", "edited_at", "edited_by", "title", "body"]
    readonly_fields = fields
    extra = 0


@admin.register(Statement)
class StatementAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["id", "incident", "audience", "title", "state", "drafted_by", "approved_by", "published_at"]
    list_filter = ["state", "audience"]
    search_fields = ["title", "body"]
    list_select_related = ["incident", "drafted_by", "approved_by"]
    inlines = [RevisionInline]


@admin.register(QALine)
class QALineAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["id", "incident", "question", "state", "approved_by", "approved_at"]
    list_filter = ["state"]
    search_fields = ["question", "answer"]
    list_select_related = ["incident", "approved_by"]


@admin.register(CompanyProfile)
class CompanyProfileAdmin(admin.ModelAdmin):
    """Who the company is in its statements. One profile: it cannot be added twice."""

    list_display = ["name_zh", "name_en", "hotline"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not CompanyProfile.objects.exists()


@admin.register(CustomerMessage)
class CustomerMessageAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Sent from the statement page; the admin looks (one row per statement and customer)."""

    list_display = ["statement", "phone", "state", "attempts", "sent_at"]
    list_filter = ["state"]

    def has_add_permission(self, request):
        return False


@admin.register(CustomerOptOut)
class CustomerOptOutAdmin(admin.ModelAdmin):
    """Numbers never sent to again: from 退订 replies, or added here when a customer asks otherwise."""

    list_display = ["phone_key", "at", "source"]
    search_fields = ["phone_key"]
