from django.contrib import admin

from config.admin_base import StaffMayLookMixin

from .models import Notification, NotificationPreference, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Outside systems told about reminders and breaches (signed JSON)."""

    list_display = ["name", "url", "active"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "language"]


@admin.register(Notification)
class NotificationAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Every message sent or tried, with its attempts and last error: nothing is lost silently."""

    list_display = ["created_at", "channel", "event", "recipient", "endpoint", "state", "attempts", "last_error"]
    list_filter = ["state", "channel", "event", "topic_type"]
    list_select_related = ["recipient", "endpoint"]
