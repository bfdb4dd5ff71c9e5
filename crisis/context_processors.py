from django.conf import settings


def console(request):
    """The language switch, and the count of unread notifications for the top bar."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from incidents.models import Notification

        unread = Notification.objects.filter(recipient=user, channel="in_app", read_at__isnull=True).count()
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "unread_notifications": unread}
