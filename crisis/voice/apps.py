from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VoiceConfig(AppConfig):
    """一个声音 — one voice: statements and Q&A lines (口径), one review lifecycle, publishing."""

    name = "crisis.voice"
    label = "voice"
    verbose_name = _("One voice")

    def ready(self) -> None:
        # Tell the incident timeline how statement and Q&A-line entries read.
        from incidents import timeline

        from . import alerts, entries

        for code, label, describe, schema in entries.KINDS:
            timeline.register_kind(code, label, describe, schema)
        alerts.register_texts()
