from django.conf import settings

from incidents.notify import delivery as notify


def console(request):
    """The language switch, and the count of unread notifications for the top bar."""
    unread = 0
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        unread = notify.unread_count(user)
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "unread_notifications": unread}
