"""Statistics (统计分析) for admins and executives: how fast and how well the company responds,
over a period, per kind and severity — and how complaints are held to their limits.

Each figure comes from the record with a fixed number of queries, whatever the period holds: the
per-incident moments are grouped minima (one query each) joined in Python, and percentiles are taken
over those numbers. Exercises (演练) never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Min, Q, QuerySet
from django.utils import timezone

from config.numbers import percentile
from crisis.voice.models import Statement
from incidents.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDeadline,
    ComplaintDeadlineKind,
    ComplaintDeadlineState,
    ComplaintEvent,
    ComplaintEventKind,
    RootCause,
)
from incidents.models import Deadline, DeadlineState, EntryKind, Incident, RoleAssignment, Status, TimelineEntry
from playbooks.models import Audience, DeadlineNature, Role


@dataclass(frozen=True)
class Period:
    """From the start of `first` to the end of `last`, in the console's time zone."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @classmethod
    def last_days(cls, days: int = 30) -> Period:
        today = timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50 and p90 in whole minutes, by the nearest rank (a figure that happened); none without data."""
    if not values:
        return {"p50": None, "p90": None}
    return {"p50": round(percentile(values, 50)), "p90": round(percentile(values, 90))}


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


def _minutes_to_first(queryset: QuerySet, field: str, among: dict[str, Q] | None = None) -> dict[str, list[float]]:
    """Per incident, the minutes from its detection to the earliest `field` among the rows of
    `queryset` — one grouped query whose database subtracts, so only one number per incident
    crosses to Python. With `among` ({name: condition}), one such list per condition, still in one
    pass over the rows."""
    among = among or {"all": Q()}
    took = (
        queryset.values("incident_id", "incident__detected_at")
        .annotate(
            **{
                name: ExpressionWrapper(
                    Min(field, filter=condition) - F("incident__detected_at"), output_field=DurationField()
                )
                for name, condition in among.items()
            }
        )
        .values_list(*among)
    )
    rows = list(took)
    return {name: [row[i].total_seconds() / 60 for row in rows if row[i] is not None] for i, name in enumerate(among)}


def incidents_in(period: Period, *, kind: str = "", severity: int | None = None) -> QuerySet[Incident]:
    queryset = Incident.objects.filter(exercise=False, declared_at__gte=period.start, declared_at__lt=period.end)
    if kind:
        queryset = queryset.filter(kind=kind)
    if severity:
        queryset = queryset.filter(severity=severity)
    return queryset


def incident_metrics(period: Period, *, kind: str = "", severity: int | None = None) -> dict[str, Any]:
    chosen = incidents_in(period, kind=kind, severity=severity)
    ids = chosen.values("pk")
    moments = {
        "time_to_commander_min": _minutes_to_first(
            RoleAssignment.objects.filter(incident__in=ids, role=Role.COMMANDER), "started_at"
        )["all"],
        "time_to_first_statement_min": _minutes_to_first(
            Statement.objects.filter(incident__in=ids, published_at__isnull=False), "published_at"
        )["all"],
        "time_to_authority_report_min": _minutes_to_first(
            Deadline.objects.filter(
                incident__in=ids, audience=Audience.REGULATOR, nature=DeadlineNature.DUTY, state=DeadlineState.MET
            ),
            "met_at",
        )["all"],
    }
    # Containment and resolution in one pass over the status changes.
    contained, resolved = Q(data__to=Status.CONTAINED), Q(data__to=Status.RESOLVED)
    reached = TimelineEntry.objects.filter(contained | resolved, incident__in=ids, kind=EntryKind.TRANSITION)
    firsts = _minutes_to_first(reached, "at", {"contain": contained, "resolve": resolved})
    moments["time_to_contain_min"], moments["time_to_resolve_min"] = firsts["contain"], firsts["resolve"]
    duties = Deadline.objects.filter(incident__in=ids, nature=DeadlineNature.DUTY).aggregate(
        on_time=Count("pk", filter=Q(state=DeadlineState.MET, breached_at__isnull=True, met_at__lte=F("due_at"))),
        came_due=Count("pk", filter=Q(state__in=[DeadlineState.MET, DeadlineState.BREACHED])),
    )
    result: dict[str, Any] = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "count": chosen.count(),
        **{name: percentiles(minutes) for name, minutes in moments.items()},
        "deadlines_met_on_time_pct": _pct(duties["on_time"], duties["came_due"]),
        "deadlines_came_due": duties["came_due"],
        "by_kind": counts(chosen, "kind"),
        "by_severity": counts(chosen, "severity"),
    }
    return result


def complaint_metrics(period: Period) -> dict[str, Any]:
    chosen = Complaint.objects.filter(received_at__gte=period.start, received_at__lt=period.end)
    ids = chosen.values("pk")

    # Both time limits, met in time and decided, in one pass over the limits.
    met_in_time = Q(state=ComplaintDeadlineState.MET, met_at__lte=F("due_at"))
    decided = Q(state__in=[ComplaintDeadlineState.MET, ComplaintDeadlineState.BREACHED])
    limits = ComplaintDeadline.objects.filter(
        complaint__in=ids, kind__in=[ComplaintDeadlineKind.ACKNOWLEDGE, ComplaintDeadlineKind.RESOLVE]
    ).aggregate(
        **{
            f"{kind}_{name}": Count("pk", filter=condition & Q(kind=kind))
            for kind in (ComplaintDeadlineKind.ACKNOWLEDGE, ComplaintDeadlineKind.RESOLVE)
            for name, condition in (("met", met_in_time), ("decided", decided))
        }
    )

    def in_time(kind: str) -> float | None:
        return _pct(limits[f"{kind}_met"], limits[f"{kind}_decided"])

    # Everything counted per value of a closed list, in one pass over the period's complaints.
    known = {
        **{f"channel:{c}": Count("pk", filter=Q(channel=c)) for c in ComplaintChannel.values},
        **{f"category:{c}": Count("pk", filter=Q(category=c)) for c in ComplaintCategory.values},
        **{f"satisfaction:{n}": Count("pk", filter=Q(satisfaction=n)) for n in range(1, 6)},
        **{f"root_cause:{c}": Count("pk", filter=Q(root_cause_category=c)) for c in RootCause.values},
    }
    once = chosen.aggregate(count=Count("pk"), avg=Avg("satisfaction"), into_incidents=Count("incident"), **known)

    def per(prefix: str) -> dict[str, int]:
        found = {k.split(":", 1)[1]: n for k, n in once.items() if k.startswith(prefix + ":") and n}
        return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))

    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "count": once["count"],
        "by_channel": per("channel"),
        "by_category": per("category"),
        "by_project": counts(chosen, "project", most=20),
        "acknowledged_in_time_pct": in_time(ComplaintDeadlineKind.ACKNOWLEDGE),
        "resolved_in_time_pct": in_time(ComplaintDeadlineKind.RESOLVE),
        "ladder_climbs": ComplaintEvent.objects.filter(complaint__in=ids, kind=ComplaintEventKind.ESCALATED).count(),
        "escalated_to_incidents": once["into_incidents"],
        "satisfaction_avg": _round(once["avg"]),
        "satisfaction": dict(sorted(per("satisfaction").items())),
        # Root causes of the complaints that reached a proposal with one classified (定期分类总结).
        "by_root_cause": per("root_cause"),
        "by_handler": counts(chosen.filter(handler__isnull=False), "handler__username", most=50),
    }


def counts(queryset: QuerySet, field: str, *, most: int | None = None) -> dict[str, int]:
    """How many rows per value of `field` (one grouped query): in the field's order, or with
    `most`, the commonest first."""
    rows = queryset.values(field).annotate(n=Count("pk")).values_list(field, "n")
    rows = rows.order_by("-n", field)[:most] if most else rows.order_by(field)
    return {str(key if key is not None else ""): n for key, n in rows}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
