from django.conf import settings

from incidents.notify import delivery as notify

from .metrics_api import SEE_STATISTICS

TRAY_SIZE = 8


def console(request):
    """The language switch, and for the top bar the count of unread notifications and the tray
    of the latest ones (kept live by /ws/me/)."""
    context = {"LANGUAGE_CHOICES": settings.LANGUAGES, "unread_notifications": 0, "tray": [], "sees_statistics": False}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context["sees_statistics"] = SEE_STATISTICS(user)
        context["unread_notifications"] = notify.unread_count(user)
        context["tray"] = list(notify.inbox(user)[:TRAY_SIZE])
    return context
