"""One report to an authority per row: a flash report, a follow-up or a supplement, each a complete
version of what the company knows (a follow-up repeats and corrects, it does not only add)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Deadline, Incident, ReportChannel


class ReportKind(models.TextChoices):
    FLASH = "flash", _("Flash report (快报)")
    FOLLOW_UP = "follow_up", _("Follow-up report (续报)")
    SUPPLEMENT = "supplement", _("Supplementary report (补报)")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


# Art. 12 of 生产安全事故报告和调查处理条例: what a report of an accident contains, in its order.
ART12_FIELDS = [
    "company_name", "company_address", "ownership", "business", "licences", "company_head",
    "occurred_at", "place", "scene", "sequence", "dead", "injured", "missing", "possible_casualties",
    "direct_loss", "measures", "reporter", "reporter_phone",
]  # fmt: skip
OPTIONAL_FIELDS = ["licences", "other"]


class AuthorityReport(models.Model):
    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="authority_reports", verbose_name=_("incident")
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind of report"), max_length=12, choices=ReportKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    # The company (事故发生单位概况)
    company_name = models.CharField(_("company's full name"), max_length=200, blank=True)
    company_address = models.CharField(_("company's address"), max_length=300, blank=True)
    ownership = models.CharField(_("form of ownership"), max_length=100, blank=True)
    business = models.CharField(_("line of business"), max_length=200, blank=True)
    licences = models.TextField(_("licences and qualifications"), blank=True)
    company_head = models.CharField(_("person in charge"), max_length=100, blank=True)
    # The accident
    occurred_at = models.DateTimeField(_("when it happened (to the minute)"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=300, blank=True)
    scene = models.TextField(_("the scene"), blank=True)
    sequence = models.TextField(_("brief sequence of events"), blank=True)
    dead = models.PositiveIntegerField(_("dead"), null=True, blank=True)
    injured = models.PositiveIntegerField(_("injured"), null=True, blank=True)
    missing = models.PositiveIntegerField(_("missing"), null=True, blank=True)
    possible_casualties = models.TextField(
        _("possible further casualties"), blank=True, help_text=_("Write “none expected” when there are none.")
    )
    direct_loss = models.DecimalField(
        _("estimated direct loss (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    measures = models.TextField(_("measures taken"), blank=True)
    other = models.TextField(_("anything else to report"), blank=True)
    reporter = models.CharField(_("reporter"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=30, blank=True)
    # Who wrote it, and where it went
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    authority = models.CharField(_("authority"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ReportChannel.choices, blank=True)
    received_by = models.CharField(_("officer who received it"), max_length=100, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    deadline = models.ForeignKey(
        Deadline, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("deadline met")
    )

    class Meta:
        verbose_name = _("report to an authority")
        verbose_name_plural = _("reports to authorities")
        ordering = ["incident", "number"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "number"], name="one_report_number_per_incident"),
            models.CheckConstraint(
                condition=Q(state="draft")
                | Q(submitted_at__isnull=False, submitted_by__isnull=False, channel__gt="", authority__gt=""),
                name="submitted_report_says_where_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.get_kind_display()}"
