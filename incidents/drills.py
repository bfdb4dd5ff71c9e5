"""Scripted drills (演练): an exercise declared with a drill script copies the script's injects and
puts each on the generic clock (owner type `incidents.inject`). When one falls due it lands in the
war room — a timeline entry every watcher sees live, and a console notification to the commander —
exactly once (the clock's token-guarded alarm, swept if lost). Ending the drill calls the rest off.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from playbooks.models import DrillScript

from .alarms import lock_owner_incident
from .clock import alarms as clock
from .clock.models import Alarm
from .clock.registry import OwnerType
from .models import Incident, Inject
from .notify import delivery as notify
from .notify import texts
from .timeline import record

OWNER = "incidents.inject"
TOPIC = "incident"


def script_errors(script: DrillScript | None, *, kind: str, exercise: bool) -> dict[str, str]:
    """Why `script` cannot run in the incident being declared (empty when it can)."""
    if script is None:
        return {}
    if not exercise:
        return {"drill_script": _("A drill script runs only in an exercise.")}
    if not script.active:
        return {"drill_script": _("This drill script is not offered any more.")}
    if script.kind and script.kind != kind:
        return {"drill_script": _("This drill script is written for another kind of crisis.")}
    return {}


def start(incident: Incident, script: DrillScript) -> int:
    """Copy the script's injects into the drill and plan their alarms; the caller holds the incident's
    lock. Returns how many were planned."""
    start_at = incident.declared_at
    injects = Inject.objects.bulk_create(
        [
            Inject(
                incident=incident,
                title=inject.title,
                text=inject.text,
                due_at=start_at + timedelta(minutes=inject.after_minutes),
            )
            for inject in script.injects.all()
        ]
    )
    clock.schedule([alarm for inject in injects for alarm in clock.alarms_for(OWNER, inject.pk, inject.due_at)])
    return len(injects)


def stop(incident: Incident) -> None:
    """The drill ended (closed or stood down): injects not yet delivered never will be."""
    pending = list(Inject.objects.filter(incident=incident, delivered_at__isnull=True).values_list("pk", flat=True))
    if pending:
        clock.cancel(OWNER, pending)


def _lock(inject_id: int, skip_locked: bool) -> Inject:
    lock_owner_incident(Inject.objects.filter(pk=inject_id).values_list("incident_id", flat=True).first(), skip_locked)
    return Inject.objects.select_related("incident__commander").get(pk=inject_id)


def _act(inject: Inject, alarm: Alarm) -> None:
    incident = inject.incident
    if inject.delivered_at is not None or not incident.is_open:
        return
    inject.delivered_at = timezone.now()
    inject.save(update_fields=["delivered_at"])
    data: dict[str, Any] = {"inject": inject.pk, "title": inject.title, "due_at": inject.due_at.isoformat()}
    record(incident, "drill_inject", actor=None, text=inject.text, data=data)
    if incident.commander is not None and incident.commander.is_active:
        notify.send(
            event="drill_inject",
            recipients=[incident.commander],
            data={**data, "incident": incident.pk, "incident_title": incident.title, "text": inject.text},
            topic=(TOPIC, incident.pk),
            cause=f"alarm:{alarm.pk}",
        )


OWNER_TYPE = OwnerType(OWNER, _lock, _act, label=gettext_lazy("drill inject"))


def register_texts() -> None:
    texts.register_each(
        TOPIC,
        {
            "drill_inject": (
                gettext_lazy("Drill inject: %(title)s"),
                gettext_lazy("#%(incident)s %(incident_title)s: %(title)s\n%(text)s"),
            )
        },
        lambda data: data,
    )
