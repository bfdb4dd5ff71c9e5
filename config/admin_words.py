"""Words of Django's own admin that its Chinese catalogue lacks (Django 5.2: the screen-reader
headers of the app list). Marked here so that `make messages` puts them into our catalogue, which
Django consults before its own (LOCALE_PATHS)."""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_WORDS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
)
