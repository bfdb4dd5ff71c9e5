from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """Who is told what, over which channel: notifications, deliveries, preferences, webhooks.

    It knows nothing of incidents or complaints: each domain registers the texts of its events
    (`texts.register`) in its own AppConfig.ready and says whom to tell."""

    name = "incidents.notify"
    label = "notify"
    verbose_name = _("Notifications")
