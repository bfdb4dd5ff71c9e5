"""Rotations, their members in order, and overrides. The roster is data admins edit; who is on
duty at a moment is computed from it (`roster.on_duty`), never stored."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from playbooks.models import CrisisKind


class DutyPosition(models.TextChoices):
    PRIMARY = "primary", _("Primary commander")
    BACKUP = "backup", _("Backup commander")


class HandoverPeriod(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DutyRotation(models.Model):
    """Members take turns in one position, handing over at a set time, daily or weekly."""

    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=10, choices=DutyPosition.choices)
    crisis_kind = models.CharField(
        _("kind of crisis"),
        max_length=30,
        choices=CrisisKind.choices,
        blank=True,
        help_text=_("Empty: every kind of crisis without a rotation of its own."),
    )
    period = models.CharField(_("hand-over"), max_length=10, choices=HandoverPeriod.choices)
    handover_time = models.TimeField(_("hand-over time"), default=time(9, 0))
    handover_weekday = models.PositiveSmallIntegerField(
        _("hand-over day (weekly)"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    working_days_only = models.BooleanField(
        _("hand over on working days only"),
        default=False,
        help_text=_(
            "Daily rotations: hand over only on working days (the working-day calendar); over weekends "
            "and holidays the shift goes on."
        ),
    )
    starts_on = models.DateField(
        _("first shift starts on"), help_text=_("At the hand-over time of this day, with the first member.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("duty rotation")
        verbose_name_plural = _("duty rotations")
        ordering = ["crisis_kind", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["position", "crisis_kind"],
                condition=Q(active=True),
                name="one_active_rotation_per_position_and_kind",
                violation_error_message=_(
                    "An active rotation for this position and kind of crisis exists: deactivate it first."
                ),
            ),
            models.CheckConstraint(
                condition=Q(handover_weekday__gte=0, handover_weekday__lte=6), name="rotation_weekday"
            ),
            models.CheckConstraint(condition=Q(position__in=DutyPosition.values), name="rotation_position"),
            models.CheckConstraint(condition=Q(period__in=HandoverPeriod.values), name="rotation_period"),
        ]

    def __str__(self) -> str:
        return self.name


class DutyRotationMember(models.Model):
    rotation = models.ForeignKey(
        DutyRotation, on_delete=models.CASCADE, related_name="members", verbose_name=_("rotation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    order = models.PositiveSmallIntegerField(_("turn"), default=0)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members (in turn order)")
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rotation", "user"],
                name="rotation_member_once",
                violation_error_message=_("This person is already in the rotation."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rotation} · {self.user}"


class DutyOverride(models.Model):
    """Someone covers a rotation for a while (leave, a swap): they are on duty instead."""

    rotation = models.ForeignKey(
        DutyRotation, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("rotation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("on duty instead")
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True, help_text=_("Leave, a swap, …"))

    class Meta:
        verbose_name = _("override")
        verbose_name_plural = _("overrides (leave and swaps)")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="override_ends_after_it_starts",
                violation_error_message=_("An override ends after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rotation} · {self.user}"
