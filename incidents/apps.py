from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self) -> None:
        # Fill the registries of the layers below with what only the incident core knows.
        from . import alarms, alerts, drills, entries, paging, timeline
        from .clock import registry as clock_registry
        from .models import EntryKind, Incident
        from .notify import delivery as notify
        from .notify import texts

        for code, describe, schema in entries.KINDS:
            timeline.register_kind(code, EntryKind(code).label, describe, schema)
        for owner_type in (*alarms.OWNER_TYPES, *paging.OWNER_TYPES, drills.OWNER_TYPE):
            clock_registry.register(owner_type)
        alarms.register_texts()
        paging.register_texts()
        drills.register_texts()
        alerts.register_texts()
        notify.register_acknowledger("page", paging.acknowledge_notification)
        texts.register_link("incident", lambda pk: f"/incidents/{pk}/")
        notify.register_exercise_check("incident", Incident.is_an_exercise)
