"""The console's own records: the periodic summaries (每周/每月总结) of the statistics."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReportPeriod(models.TextChoices):
    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    CHOSEN = "chosen", _("Chosen period")


class PeriodicReport(models.Model):
    """The statistics of a period as they stood when the summary was made: a report is what the
    company knew then, so it is a snapshot, not a query re-run later. One weekly and one monthly
    report per period, whoever makes it (the schedule on two beats, or twice after a restart)."""

    period = models.CharField(_("period"), max_length=8, choices=ReportPeriod.choices)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    incidents = models.JSONField(_("incident figures"))
    complaints = models.JSONField(_("complaint figures"))
    generated_at = models.DateTimeField(_("made at"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
        help_text=_("Empty: made on schedule."),
    )

    class Meta:
        verbose_name = _("periodic report")
        verbose_name_plural = _("periodic reports")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "starts_on"], condition=~Q(period="chosen"), name="one_scheduled_report_per_period"
            ),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="report_period_not_reversed"),
        ]

    def __str__(self) -> str:
        return f"{self.get_period_display()} {self.starts_on} – {self.ends_on}"
