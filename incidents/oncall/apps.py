from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnCallConfig(AppConfig):
    """The duty roster (值班表): who is on duty as incident commander, primary and backup, now and
    next — globally or per kind of crisis, by rotation, with overrides for leave and swaps.

    It knows nothing of incidents: paging asks it whom to page."""

    name = "incidents.oncall"
    label = "oncall"
    verbose_name = _("Duty roster")
