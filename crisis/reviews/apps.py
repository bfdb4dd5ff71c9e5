from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """复盘 — learning from every crisis: the after-action review of a closed incident, its
    feedback and the action items that outlive it."""

    name = "crisis.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        # Tell the incident timeline how review entries read, and the clock about action items.
        from incidents import timeline
        from incidents.clock import registry as clock_registry

        from . import alarms, entries

        for code, label, describe, schema in entries.KINDS:
            timeline.register_kind(code, label, describe, schema)
        clock_registry.register(alarms.OWNER_TYPE)
        alarms.register()
