from django.contrib import admin

from config.admin_base import StaffMayLookMixin

from .models import Feedback, Review, ReviewAction


class FeedbackInline(admin.TabularInline):
    model = Feedback
    fields = ["author", "rating", "text", "at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Review)
class ReviewAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Reviews are written in the console (the review page and the API); the admin looks."""

    list_display = ["incident", "state", "rating", "opened_at", "signed_off_at"]
    list_filter = ["state"]
    inlines = [FeedbackInline]


@admin.register(ReviewAction)
class ReviewActionAdmin(StaffMayLookMixin, admin.ModelAdmin):
    list_display = ["title", "owner", "due_at", "state", "review"]
    list_filter = ["state"]
    list_select_related = ["owner", "review__incident"]
