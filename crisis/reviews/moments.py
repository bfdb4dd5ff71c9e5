"""What the record already says about a closed incident, for its review: the key moments with the
minutes from detection and the playbook's target for each, and how its deadlines ended. Computed
from the incident each time (the record is the truth); nothing here is typed in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from crisis.voice.models import Statement
from incidents.models import Deadline, DeadlineState, EntryKind, Incident, RoleAssignment, Status, TimelineEntry
from playbooks.models import Audience, AutoComplete, DeadlineNature, Role


@dataclass(frozen=True)
class KeyMoment:
    name: str  # a code: detected, declared, first_commander, first_statement, authority_report, contained, …
    label: str  # in the reader's language
    at: datetime | None
    minutes_from_detection: int | None
    target_minutes: int | None  # by when the playbook expected it, in minutes from detection
    audience: str = ""  # first statements and authority reports: to whom

    def as_dict(self) -> dict:
        return asdict(self)


def _minutes(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else round((end - start).total_seconds() / 60)


def _transition_times(incident: Incident) -> dict[str, datetime]:
    """When the incident first reached each status."""
    first: dict[str, datetime] = {}
    for data, at in (
        TimelineEntry.objects.filter(incident=incident, kind=EntryKind.TRANSITION)
        .order_by("seq")
        .values_list("data", "at")
    ):
        first.setdefault((data or {}).get("to", ""), at)
    return first


def _commander_target(incident: Incident) -> int | None:
    """The playbook's due time for naming a commander (a step that ticks itself when one is named),
    counted from detection like every other moment."""
    if incident.playbook_version_id is None:
        return None
    offset = (
        incident.playbook_version.steps.filter(
            completes_when=AutoComplete.COMMANDER_NAMED, due_offset_minutes__isnull=False
        )
        .order_by("due_offset_minutes")
        .values_list("due_offset_minutes", flat=True)
        .first()
    )
    return None if offset is None else _minutes(incident.detected_at, incident.declared_at) + offset


def key_moments(incident: Incident) -> list[KeyMoment]:
    detected = incident.detected_at
    moments: list[KeyMoment] = []

    def add(name: str, label: str, at: datetime | None, target: int | None = None, audience: str = "") -> None:
        moments.append(KeyMoment(name, label, at, _minutes(detected, at), target, audience))

    add("detected", _("Detected"), detected)
    add("declared", _("Declared"), incident.declared_at)
    first_commander = (
        RoleAssignment.objects.filter(incident=incident, role=Role.COMMANDER)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    add("first_commander", _("First commander named"), first_commander, _commander_target(incident))

    deadlines = list(Deadline.objects.filter(incident=incident).order_by("due_at", "pk"))
    for audience, audience_label in Audience.choices:
        first = (
            Statement.objects.filter(incident=incident, audience=audience, published_at__isnull=False)
            .order_by("published_at")
            .values_list("published_at", flat=True)
            .first()
        )
        due = next((d.due_at for d in deadlines if d.met_by_statement and d.audience == audience), None)
        if first is not None or due is not None:
            add(
                "first_statement",
                _("First statement to %(audience)s") % {"audience": audience_label},
                first,
                _minutes(detected, due),
                audience,
            )
    for deadline in deadlines:
        if deadline.audience == Audience.REGULATOR and deadline.nature == DeadlineNature.DUTY:
            met = deadline.met_at if deadline.state == DeadlineState.MET else None
            add("authority_report", deadline.title, met, _minutes(detected, deadline.due_at), deadline.audience)

    reached = _transition_times(incident)
    for status, label in (
        (Status.CONTAINED, _("Contained")),
        (Status.RESOLVED, _("Resolved")),
        (Status.CLOSED, _("Closed")),
    ):
        add(str(status), label, reached.get(status))
    return moments


@dataclass(frozen=True)
class DeadlineCounts:
    """How the company's own duties ended (another party's clock is nobody's failure here)."""

    met_on_time: int
    met_late: int
    breached: int
    waived: int
    open: int  # still pending when the incident closed with its open items kept

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def deadline_counts(incident: Incident) -> DeadlineCounts:
    counts = {"met_on_time": 0, "met_late": 0, "breached": 0, "waived": 0, "open": 0}
    for state, due_at, met_at, breached_at in Deadline.objects.filter(
        incident=incident, nature=DeadlineNature.DUTY
    ).values_list("state", "due_at", "met_at", "breached_at"):
        if state == DeadlineState.MET:
            # Met after a breach, or simply after its time, is late.
            counts["met_on_time" if breached_at is None and met_at <= due_at else "met_late"] += 1
        elif state == DeadlineState.BREACHED:
            counts["breached"] += 1
        elif state == DeadlineState.WAIVED:
            counts["waived"] += 1
        else:
            counts["open"] += 1
    return DeadlineCounts(**counts)
