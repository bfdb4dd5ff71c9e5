from django.contrib import admin

from config.admin_base import StaffMayLookMixin

from .models import ChatRobot, Notification, NotificationPreference, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Outside systems told about reminders and breaches (signed JSON)."""

    list_display = ["name", "url", "active"]


@admin.register(ChatRobot)
class ChatRobotAdmin(admin.ModelAdmin):
    """Chat groups (企业微信 / 钉钉 / 飞书) that hear pages, breaches and published statements."""

    list_display = ["name", "provider", "language", "active"]
    list_filter = ["provider", "active"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "sms_pages", "quiet_from", "quiet_until", "language"]


@admin.register(Notification)
class NotificationAdmin(StaffMayLookMixin, admin.ModelAdmin):
    """Every message sent or tried, with its attempts and last error: nothing is lost silently."""

    list_display = [
        "created_at", "channel", "event", "recipient", "endpoint", "robot", "state", "attempts", "last_error",
    ]  # fmt: skip
    list_filter = ["state", "channel", "event", "topic_type"]
    list_select_related = ["recipient", "endpoint", "robot"]
