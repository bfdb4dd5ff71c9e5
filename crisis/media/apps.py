from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    """The media and online-opinion log (舆情监测): what is said about an incident online and in the
    press, its reach over time, rumours tied to the Q&A line that answers them and the statement
    that rebuts them, and journalists' enquiries with the promised call-back as a deadline."""

    name = "crisis.media"
    label = "media"
    verbose_name = _("Media and online opinion")

    def ready(self) -> None:
        from incidents import timeline

        from . import services

        timeline.register_kind(services.ENTRY, _("Media and online opinion"), services.describe, services.MediaEntry)
