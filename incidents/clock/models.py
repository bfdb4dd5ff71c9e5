"""Alarm rows and the working-day calendar's corrections."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.model_fields import moment


class AlarmKind(models.TextChoices):
    """The kinds every owner may use. An owner may use others of its own (e.g. "first_hour")."""

    REMINDER = "reminder", _("Reminder")
    BREACH = "breach", _("Breach")


class HandledVia(models.TextChoices):
    ETA = "eta", _("on time, by its Celery message")
    SWEEP = "sweep", _("by the sweep")


class AlarmQuerySet(models.QuerySet):
    def pending(self) -> AlarmQuerySet:
        return self.filter(handled_at__isnull=True, cancelled_at__isnull=True)

    def owned_by(self, owner_type: str, owner_ids) -> AlarmQuerySet:
        ids = [owner_ids] if isinstance(owner_ids, int) else owner_ids  # a list, or a subquery
        return self.filter(owner_type=owner_type, owner_id__in=ids)


class Alarm(models.Model):
    """One moment at which something must happen, for one owner (a deadline, a task, an
    incident's first hour, a complaint's time limit — whatever a domain registered).

    The database is the truth and Celery the alarm clock. An alarm is handled exactly once: the
    handler locks the owner (as the owner type says), then this row, and acts only if it is neither
    handled nor cancelled and, for an ETA message, the token still matches. Replanning cancels the
    owner's alarms and writes new ones with new tokens, so a stale message finds nothing to do.
    """

    owner_type = models.CharField(_("owner type"), max_length=40)
    owner_id = models.PositiveBigIntegerField(_("owner"))
    kind = models.CharField(_("kind"), max_length=20)
    lead_minutes = models.PositiveIntegerField(_("minutes before the due time"), null=True, blank=True)
    fire_at = models.DateTimeField(_("fires at"))
    token = models.UUIDField(default=uuid.uuid4, editable=False)
    # Set when an ETA message has been handed to the broker (only for alarms within the horizon).
    armed_at = moment(_("armed at"))
    handled_at = moment(_("handled at"))
    handled_via = models.CharField(_("handled by"), max_length=10, blank=True, choices=HandledVia.choices)
    cancelled_at = moment(_("cancelled at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        ordering = ["fire_at", "pk"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        indexes = [
            models.Index(
                fields=["fire_at"],
                condition=Q(handled_at__isnull=True, cancelled_at__isnull=True),
                name="alarm_pending_by_time",
            ),
            models.Index(fields=["owner_type", "owner_id"], name="alarm_owner"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True) | Q(cancelled_at__isnull=True), name="alarm_handled_or_cancelled"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_type}:{self.owner_id} {self.kind} at {self.fire_at:%Y-%m-%d %H:%M:%S}"

    @property
    def lateness(self) -> float | None:
        if self.handled_at is None:
            return None
        return (self.handled_at - self.fire_at).total_seconds()


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    WORKDAY = "workday", _("Make-up working day (调休上班)")


class CalendarDay(models.Model):
    """A correction to the working-day calendar. The State Council publishes each year's holidays
    in winter and libraries lag: an admin adds or corrects days here, and these win."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
