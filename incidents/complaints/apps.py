from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    """Complaints: intake, the handling form (处理单), time-limit profiles, the ladder, and the
    escalation rules that open incidents."""

    name = "incidents.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        # Fill the registries of the layers below with what only complaints know.
        from .. import timeline
        from ..clock import registry as clock_registry
        from ..notify import texts
        from . import alerts, entries, journal, ladder

        timeline.register_kind(journal.ENTRY_KIND, _("Complaint"), entries.describe, entries.ComplaintEntry)
        clock_registry.register(ladder.OWNER_TYPE)
        ladder.register_texts()
        alerts.register_texts()
        texts.register_link("complaint", lambda pk: f"/complaints/{pk}/")
