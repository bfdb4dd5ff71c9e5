"""Where a complaint's steps are written: its own log and, for a complaint that is part of an
incident, the incident's timeline. Services, rules and clocks all write through here."""

from __future__ import annotations

from typing import Any

from ..timeline import lock_incident, record
from .models import Complaint, ComplaintEvent

ENTRY_KIND = "complaint"  # the incident timeline's kind for complaints (registered in ComplaintsConfig)


def log(complaint: Complaint, kind: str, *, actor=None, text: str = "", data: dict | None = None) -> ComplaintEvent:
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        level=complaint.level,
        state=complaint.state,
        text=text,
        data=data or {},
    )


def on_incident(complaint: Complaint, action: str, *, actor=None, **extra: Any) -> None:
    """A complaint that is part of an incident reports its big moves on the incident's timeline.
    The caller holds the complaint's lock; the incident's is taken next (the order every writer uses)."""
    if complaint.incident_id is None:
        return
    incident = lock_incident(complaint.incident_id)
    record(
        incident,
        ENTRY_KIND,
        actor=actor,
        data={
            "action": action,
            "complaint": complaint.pk,
            "category": complaint.category,
            "project": complaint.project,
            "level": complaint.level,
            **extra,
        },
    )
