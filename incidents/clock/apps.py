from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClockConfig(AppConfig):
    """The alarm clock: alarm rows, their handling exactly once, the sweep, the working-day calendar.

    It knows nothing of incidents or complaints. Each domain registers its owner types (how to lock
    an alarm's owner and what to do when the alarm goes off) in its own AppConfig.ready."""

    name = "incidents.clock"
    label = "clock"
    verbose_name = _("Alarm clock")
