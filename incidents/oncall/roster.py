"""Who is on duty: computed from the rotations and overrides for any moment, never stored.

A rotation's first shift starts at its hand-over time on `starts_on`; every hand-over after it
(each day, each week on its weekday, or each working day of the working-day calendar) passes duty
to the next member in turn. An override covering the moment puts its person on duty instead. A
rotation for the kind of crisis wins over the rotation for every kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from incidents.clock.workdays import WorkingCalendar

from .models import DutyOverride, DutyPosition, DutyRotation, DutyRotationMember, HandoverPeriod

# How far ahead a hand-over is looked for: a weekly rotation hands over within 7 days, a working-day
# one within the longest holiday; beyond this the shift is open-ended.
LOOK_AHEAD_DAYS = 40


@dataclass(frozen=True)
class Shift:
    position: str
    user: object | None
    starts_at: datetime | None
    ends_at: datetime | None  # the next hand-over, or the override's end; None: not known
    rotation: DutyRotation | None
    override: DutyOverride | None = None


def _moment(rotation: DutyRotation, day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, rotation.handover_time), timezone.get_current_timezone())


def _hands_over(rotation: DutyRotation, day: date, calendar: WorkingCalendar | None) -> bool:
    if rotation.period == HandoverPeriod.WEEKLY:
        return day.weekday() == rotation.handover_weekday
    if rotation.working_days_only and calendar is not None:
        return calendar.is_working_day(day)
    return True


def _turn(rotation: DutyRotation, at: datetime) -> tuple[int, datetime, datetime | None] | None:
    """(hand-overs since the first shift, when this shift began, when it ends); None before the first."""
    first = _moment(rotation, rotation.starts_on)
    if at < first:
        return None
    today = timezone.localtime(at).date()
    calendar = None
    if rotation.period == HandoverPeriod.DAILY and rotation.working_days_only:
        calendar = WorkingCalendar(rotation.starts_on, today + timedelta(days=LOOK_AHEAD_DAYS))
    count, began = 0, first
    day = rotation.starts_on + timedelta(days=1)
    last_day = today + timedelta(days=LOOK_AHEAD_DAYS)
    while day <= last_day:
        if _hands_over(rotation, day, calendar):
            handover = _moment(rotation, day)
            if handover > at:
                return count, began, handover
            count, began = count + 1, handover
        day += timedelta(days=1)
    return count, began, None


def _rotations(kind: str) -> dict[str, DutyRotation]:
    """The active rotation of each position for this kind of crisis (its own, else every kind's)."""
    rotations = (
        DutyRotation.objects.filter(active=True, crisis_kind__in={"", kind or ""})
        .prefetch_related(
            Prefetch("members", queryset=DutyRotationMember.objects.select_related("user").order_by("order", "pk"))
        )
        .order_by("-crisis_kind")  # the kind's own first
    )
    chosen: dict[str, DutyRotation] = {}
    for rotation in rotations:
        chosen.setdefault(rotation.position, rotation)
    return chosen


def _shift(position: str, rotation: DutyRotation | None, at: datetime) -> Shift:
    if rotation is None:
        return Shift(position, None, None, None, None)
    override = (
        DutyOverride.objects.filter(rotation=rotation, starts_at__lte=at, ends_at__gt=at)
        .select_related("user")
        .order_by("-starts_at", "-pk")
        .first()
    )
    if override is not None:
        return Shift(position, override.user, override.starts_at, override.ends_at, rotation, override)
    members = list(rotation.members.all())
    turn = _turn(rotation, at)
    if not members:
        return Shift(position, None, None, None, rotation)
    if turn is None:  # before the first shift
        return Shift(position, None, None, _moment(rotation, rotation.starts_on), rotation)
    count, began, ends = turn
    # An override starting before the hand-over ends this shift early.
    upcoming = (
        DutyOverride.objects.filter(rotation=rotation, starts_at__gt=at)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if upcoming is not None and (ends is None or upcoming < ends):
        ends = upcoming
    return Shift(position, members[count % len(members)].user, began, ends, rotation)


def on_duty(at: datetime | None = None, kind: str = "") -> dict[str, tuple[Shift, Shift | None]]:
    """For each position (primary, backup): the shift at `at` (now by default) and the next one."""
    at = at or timezone.now()
    rotations = _rotations(kind)
    result: dict[str, tuple[Shift, Shift | None]] = {}
    for position in DutyPosition.values:
        rotation = rotations.get(position)
        now = _shift(position, rotation, at)
        following = _shift(position, rotation, now.ends_at) if now.ends_at is not None else None
        result[position] = (now, following)
    return result


def commanders_on_duty(kind: str = "", at: datetime | None = None) -> tuple[object | None, object | None]:
    """(primary, backup) on duty for this kind of crisis: whom paging pages."""
    duty = on_duty(at, kind)
    return duty[DutyPosition.PRIMARY][0].user, duty[DutyPosition.BACKUP][0].user
