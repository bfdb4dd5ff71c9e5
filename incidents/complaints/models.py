"""Complaints and their handling form (处理单), time limits, replies, access log and escalation rules.

The `complaints` app sits above the incident core: a complaint that a rule escalates opens (or
joins) an incident in the same transaction.
"""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from config.model_fields import moment, optional, person
from playbooks.models import CrisisKind, bilingual


class ComplaintChannel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    ONLINE_CHAT = "online_chat", _("Online chat")
    WECHAT = "wechat", _("WeChat")
    WEIBO = "weibo", _("Weibo")
    EMAIL = "email", _("E-mail")
    LETTER = "letter", _("Letter")
    COMMENT_BOOK = "comment_book", _("Comment book")
    WALK_IN = "walk_in", _("Walk-in")
    CONSUMER_HOTLINE = "12315", _("12315 consumer hotline")
    OTHER = "other", _("Other")


class ComplaintCategory(models.TextChoices):
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    PRODUCT_QUALITY = "product_quality", _("Product or unit quality")
    PRICE_FEES = "price_fees", _("Price or fees")
    PURCHASE_CONTRACT = "purchase_contract", _("Purchase or contract")
    REPAIR = "repair", _("Repair")
    PARTS = "parts", _("Parts")
    # The car dealer's list (seeds): 接待投诉 — how the customer was received (kept apart from the
    # attitude of the service itself) — and 多元投诉, several issues at once.
    RECEPTION = "reception", _("Reception (how the customer was received)")
    MULTIPLE = "multiple", _("Several issues at once")
    OTHER = "other", _("Other")


class RootCause(models.TextChoices):
    """Where a complaint came from, as a closed list so that the statistics can count it (定期分类
    总结): the free-text root cause says the particulars."""

    DESIGN = "design", _("Product design")
    CONSTRUCTION = "construction", _("Construction quality")
    MATERIALS = "materials", _("Materials or a supplier")
    SALES_PROMISE = "sales_promise", _("Sales promises or advertising")
    CONTRACT = "contract", _("Contract or paperwork")
    SERVICE = "service", _("Service or attitude of staff")
    PROPERTY_MANAGEMENT = "property_management", _("Property management")
    PROCESS = "process", _("Our process or rules")
    COMMUNICATION = "communication", _("Communication")
    EXPECTATION = "expectation", _("The customer's expectations")
    OTHER = "other", _("Other")


class Complexity(models.TextChoices):
    # The bank's procedure: general = work mistakes, attitude, internal management (3 working days);
    # complex = products, channels, violations (5 working days).
    GENERAL = "general", _("General")
    COMPLEX = "complex", _("Complex")


class CustomerWants(models.TextChoices):
    REFUND = "refund", _("Refund")
    CHANGE_UNIT = "change_unit", _("Change of unit")
    COMPENSATION = "compensation", _("Compensation")
    APOLOGY = "apology", _("Apology")
    VENTING = "venting", _("To be heard (venting)")
    OTHER = "other", _("Other")


class VipFlag(models.TextChoices):
    LARGE_BUYER = "large_buyer", _("Large buyer")
    PUBLIC_FIGURE = "public_figure", _("Public figure")
    GOVERNMENT_OFFICIAL = "government_official", _("Government official")
    MEDIA_REPORTER = "media_reporter", _("Media reporter")
    FREQUENT_COMPLAINER = "frequent_complainer", _("Frequent complainer")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    INVESTIGATING = "investigating", _("Investigating")
    PROPOSED = "proposed", _("Solution proposed")
    AGREED = "agreed", _("Agreed with customer")
    IMPLEMENTED = "implemented", _("Implemented")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CLOSED = "closed", _("Closed")


class Level(models.IntegerChoices):
    """The escalation ladder. Each level above the handler again acknowledges within 2 working days
    and resolves within 5; the outside body runs its own procedure."""

    HANDLER = 0, _("Complaint handler")
    BUSINESS_MANAGER = 1, _("Business manager")
    BRANCH_HEAD = 2, _("Branch head")
    GENERAL_MANAGEMENT = 3, _("General management")
    SENIOR_MANAGEMENT = 4, _("Senior management")
    OUTSIDE_BODY = 5, _("Outside body")


TOP_INTERNAL_LEVEL = Level.SENIOR_MANAGEMENT
# A dispute after this point means the customer does not accept the result.
DISPUTABLE_STATES = (
    ComplaintState.PROPOSED,
    ComplaintState.AGREED,
    ComplaintState.IMPLEMENTED,
    ComplaintState.FOLLOWED_UP,
)
OPEN_COMPLAINT_STATES = [s for s in ComplaintState.values if s != ComplaintState.CLOSED]


class ReportClass(models.IntegerChoices):
    """LASTR's "report": when the case is done, a category-1 complaint is reported to the supervisor
    orally, a category-2 complaint in writing (一类投诉口头报告，二类投诉书面报告给上级部门)."""

    ORAL = 1, _("Category 1: reported orally")
    WRITTEN = 2, _("Category 2: written report")


# The part of a phone number that identifies the customer: its last 11 digits (a Chinese mobile
# number, or a landline with its area code), so that +86 139 1234 5678 and 139-1234-5678 match.
PHONE_KEY_DIGITS = 11


def phone_key_of(phone: str) -> str:
    """The customer's phone number as intake compares it: digits only, the last 11 (or all of a
    shorter number); empty when there are no digits."""
    digits = "".join(str(unicodedata.decimal(c)) for c in phone or "" if c.isdecimal())  # also full-width
    return digits[-PHONE_KEY_DIGITS:]


class Complaint(FSMModelMixin, models.Model):
    # Intake
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    customer_name = models.CharField(_("customer name"), max_length=100, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=40, blank=True)
    # The phone as intake compares it (phone_key_of): frequent complainers are found by it.
    phone_key = models.CharField(max_length=PHONE_KEY_DIGITS, blank=True, editable=False, verbose_name=_("phone key"))
    unit = models.CharField(_("unit or order"), max_length=100, blank=True)
    project = models.CharField(_("project (楼盘)"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=30, choices=ComplaintCategory.choices)
    complexity = models.CharField(
        _("complexity"), max_length=10, choices=Complexity.choices, default=Complexity.GENERAL
    )
    # One of CustomerWants' codes, or the customer's own words (other systems send free text).
    wants = models.CharField(_("customer wants"), max_length=300, blank=True)
    description = models.TextField(_("facts as told"))
    vip = models.JSONField(_("VIP flags"), default=list, blank=True)
    injury_risk = models.BooleanField(_("risk of injury, fire, accident or health harm"), default=False)
    online_spread = models.BooleanField(_("spreading online"), default=False)
    mass_complaint = models.BooleanField(_("mass complaint (owners acting together)"), default=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # The staff member the complaint is about is kept off the case (handled by someone with no
    # stake in it): never its handler (a database constraint), never acting on it (access.py).
    complained_about = person(_("staff member complained about"))
    # The limits the complaint is held to: the profile in force when it came in (like an incident's
    # playbook version, switching profiles does not change a running complaint).
    time_limits = optional("complaints.TimeLimitProfile", _("time-limit profile"), on_delete=models.SET_NULL)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("logged by")
    )
    # Intake by other systems: the same key from the same client creates one complaint.
    idempotency_key = models.CharField(max_length=200, blank=True, editable=False, verbose_name=_("idempotency key"))
    request_fingerprint = models.CharField(
        max_length=64, blank=True, editable=False, verbose_name=_("request fingerprint")
    )

    # Handling (the 处理单)
    state = FSMField(_("state"), default=ComplaintState.RECEIVED, choices=ComplaintState.choices, protected=True)
    level = models.PositiveSmallIntegerField(_("ladder level"), choices=Level.choices, default=Level.HANDLER)
    handler = person(_("handler"))
    outside_body = models.CharField(_("outside body"), max_length=200, blank=True)
    facts = models.TextField(_("facts (verified)"), blank=True)
    emotions = models.TextField(_("emotions and expectations"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    root_cause_category = models.CharField(
        _("kind of root cause"), max_length=30, choices=RootCause.choices, blank=True, db_index=False
    )
    options = models.TextField(_("options considered"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    compensation = models.DecimalField(_("compensation (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True)
    approval_needed = models.BooleanField(_("needs approval from the level above"), default=False)
    approved_by = person(verbose_name=_("approved by"))
    approved_at = moment(verbose_name=_("approved at"))
    acknowledged_at = moment(verbose_name=_("acknowledged at"))
    implemented_at = moment(verbose_name=_("implemented at"))
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1-5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    closed_at = moment(verbose_name=_("closed at"))
    # The report to the supervisor that closing requires (LASTR's "R").
    report_class = models.PositiveSmallIntegerField(
        _("report to the supervisor"), choices=ReportClass.choices, null=True, blank=True
    )
    reported_to = models.CharField(_("reported to"), max_length=200, blank=True)
    report_text = models.TextField(_("written report"), blank=True)
    reported_at = moment(_("reported at"))

    # Escalation into a crisis
    incident = optional("incidents.Incident", _("incident"), related_name="complaints")
    escalation_rule = optional(
        "complaints.EscalationRule", on_delete=models.SET_NULL, verbose_name=_("escalation rule")
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["project", "category", "received_at"], name="complaint_wave"),
            models.Index(fields=["received_at"], name="complaint_received"),
            # Intake counts the same caller's earlier complaints in a window: one index range scan.
            models.Index(fields=["phone_key", "received_at"], name="complaint_phone"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["logged_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_complaint_per_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(level__gte=0, level__lte=5), name="complaint_level_on_ladder"),
            models.CheckConstraint(
                condition=~Q(handler=F("complained_about")),
                name="complaint_handler_not_complained_about",
                violation_error_message=_("The staff member the complaint is about may not handle it."),
            ),
            models.CheckConstraint(
                # Bounds, not IN (…): SQLite's introspection mis-parses a comma inside a CHECK.
                condition=Q(report_class__isnull=True)
                | Q(report_class__gte=ReportClass.ORAL, report_class__lte=ReportClass.WRITTEN),
                name="complaint_report_class",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} · {self.project}".rstrip(" ·")

    @property
    def wants_display(self) -> str:
        return str(CustomerWants(self.wants).label) if self.wants in CustomerWants.values else self.wants

    @property
    def is_open(self) -> bool:
        return self.state != ComplaintState.CLOSED

    # The lifecycle. Services check who may act; these guard only the order of the steps.
    @transition(field=state, source=ComplaintState.RECEIVED, target=ComplaintState.ACKNOWLEDGED)
    def acknowledge(self) -> None:
        pass

    @transition(field=state, source=ComplaintState.ACKNOWLEDGED, target=ComplaintState.INVESTIGATING)
    def investigate(self) -> None:
        pass

    @transition(field=state, source=ComplaintState.INVESTIGATING, target=ComplaintState.PROPOSED)
    def propose(self) -> None:
        pass

    @transition(
        field=state,
        source=ComplaintState.PROPOSED,
        target=ComplaintState.AGREED,
        conditions=[lambda c: not c.approval_needed or c.approved_at is not None],
    )
    def agree(self) -> None:
        pass

    @transition(field=state, source=ComplaintState.AGREED, target=ComplaintState.IMPLEMENTED)
    def implement(self) -> None:
        pass

    @transition(field=state, source=ComplaintState.IMPLEMENTED, target=ComplaintState.FOLLOWED_UP)
    def follow_up(self) -> None:
        pass

    @transition(field=state, source=ComplaintState.FOLLOWED_UP, target=ComplaintState.CLOSED)
    def close(self) -> None:
        pass

    # Climbing the ladder starts the handling again at the new level.
    @transition(field=state, source=OPEN_COMPLAINT_STATES, target=ComplaintState.RECEIVED)
    def climb(self) -> None:
        pass


# Handling actions as users and the API name them, in the order of the form.
ACTIONS = ("acknowledge", "investigate", "propose", "approve", "agree", "implement", "follow_up", "close", "dispute")


class DayUnit(models.TextChoices):
    WORKING = "working", _("Working days")
    CALENDAR = "calendar", _("Calendar days")


class TimeLimitProfile(models.Model):
    """The limits complaints are held to — an admin edits them; the seeds' limits are the default.

    From the bank's complaint procedure in the source documents: acknowledge within 2 working days;
    resolve within 3 working days (general) or 5 (complex); every rung above the handler again
    acknowledges within 2 and resolves within 5; follow up within 7 days of the fix. Other profiles
    count calendar days (banking and insurance: 15 days, complex 30, extendable to 60 with senior
    approval). Exactly one profile is in force (a conditional unique constraint); a complaint keeps
    the one in force when it came in."""

    name = models.CharField(_("name"), max_length=100)
    in_force = models.BooleanField(
        _("in force"), default=True, help_text=_("New complaints are held to the profile in force; exactly one is.")
    )
    day_unit = models.CharField(
        _("limits count"),
        max_length=10,
        choices=DayUnit.choices,
        default=DayUnit.WORKING,
        help_text=_(
            "Working days skip weekends and public holidays (and count make-up working days); calendar days "
            "count every day. A limit ends at the close of business on its last day."
        ),
    )
    acknowledge_working_days = models.PositiveSmallIntegerField(
        _("acknowledge within (days)"), default=2, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    resolve_general_working_days = models.PositiveSmallIntegerField(
        _("resolve a general complaint within (days)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    resolve_complex_working_days = models.PositiveSmallIntegerField(
        _("resolve a complex complaint within (days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    higher_acknowledge_working_days = models.PositiveSmallIntegerField(
        _("each rung above: acknowledge within (days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    higher_resolve_working_days = models.PositiveSmallIntegerField(
        _("each rung above: resolve within (days)"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    extension_limit_days = models.PositiveSmallIntegerField(
        _("senior management may extend the resolution to at most (days from receipt)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Empty: no extension. Counted in the profile's days from the day the complaint was received."),
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow up within (days after the fix)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    frequent_complainer_count = models.PositiveSmallIntegerField(
        _("frequent complainer: complaints from the same phone"),
        default=3,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_(
            "The complaint that makes this many from the same phone number within the window below is "
            "flagged “frequent complainer” at intake, before the escalation rules run."
        ),
    )
    frequent_complainer_days = models.PositiveSmallIntegerField(
        _("frequent complainer: within (days)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Calendar days back from when the complaint was received."),
    )
    reminder_minutes = models.PositiveIntegerField(
        _("remind staff this many minutes before a limit"),
        default=240,
        validators=[MaxValueValidator(7 * 24 * 60)],
    )
    reply_reminder_minutes = models.PositiveIntegerField(
        _("remind this many minutes before a promised reply"), default=15, validators=[MaxValueValidator(24 * 60)]
    )

    class Meta:
        verbose_name = _("time-limit profile")
        verbose_name_plural = _("time-limit profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["in_force"],
                condition=Q(in_force=True),
                name="one_time_limit_profile_in_force",
                violation_error_message=_("Another profile is in force: take it out of force first."),
            ),
            models.CheckConstraint(
                condition=Q(
                    acknowledge_working_days__gte=1,
                    resolve_general_working_days__gte=1,
                    resolve_complex_working_days__gte=1,
                    higher_acknowledge_working_days__gte=1,
                    higher_resolve_working_days__gte=1,
                    follow_up_days__gte=1,
                ),
                name="time_limits_at_least_one_day",
            ),
            models.CheckConstraint(
                condition=Q(day_unit=DayUnit.WORKING) | Q(day_unit=DayUnit.CALENDAR), name="time_limits_day_unit"
            ),
            models.CheckConstraint(
                condition=Q(frequent_complainer_count__gte=2, frequent_complainer_days__gte=1),
                name="time_limits_frequent_complainer",
            ),
            models.CheckConstraint(
                condition=Q(extension_limit_days__isnull=True)
                | (
                    Q(extension_limit_days__gte=F("resolve_general_working_days"))
                    & Q(extension_limit_days__gte=F("resolve_complex_working_days"))
                ),
                name="time_limits_extension_beyond_the_limits",
                violation_error_message=_(
                    "An extension reaches beyond the limits it extends: at least the days to resolve a "
                    "complex complaint."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> TimeLimitProfile:
        """The profile in force; the defaults when an admin deleted every profile."""
        return cls.objects.filter(in_force=True).first() or cls(name="default")

    @property
    def counts_working_days(self) -> bool:
        return self.day_unit != DayUnit.CALENDAR

    def acknowledge_days(self, level: int) -> int:
        return self.acknowledge_working_days if level == Level.HANDLER else self.higher_acknowledge_working_days

    def resolve_days(self, level: int, complexity: str) -> int:
        if level != Level.HANDLER:
            return self.higher_resolve_working_days
        if complexity == Complexity.COMPLEX:
            return self.resolve_complex_working_days
        return self.resolve_general_working_days


class ComplaintDeadlineKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge")
    RESOLVE = "resolve", _("Resolve")
    FOLLOW_UP = "follow_up", _("Follow up")
    REPLY = "reply", _("Reply to the customer")


class ComplaintDeadlineState(models.TextChoices):
    PENDING = "pending", _("Pending")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


class ComplaintDeadline(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="deadlines", verbose_name=_("complaint")
    )
    level = models.PositiveSmallIntegerField(_("ladder level"), choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=ComplaintDeadlineKind.choices)
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(
        _("state"), max_length=10, choices=ComplaintDeadlineState.choices, default=ComplaintDeadlineState.PENDING
    )
    met_at = moment(verbose_name=_("met at"))
    breached_at = moment(verbose_name=_("breached at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("complaint deadline")
        verbose_name_plural = _("complaint deadlines")
        constraints = [
            # At most one running acknowledgement, resolution and follow-up clock per complaint.
            models.UniqueConstraint(
                fields=["complaint", "kind"],
                condition=Q(state="pending") & ~Q(kind="reply"),
                name="one_pending_complaint_clock_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_at:%Y-%m-%d %H:%M}"


class ReplyMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    # 传真、信函回复时须经负责人确认: the text is confirmed by a manager before it goes.
    WRITTEN = "written", _("Written reply (letter, fax)")
    VISIT = "visit", _("Home visit (two staff, with ID)")
    MESSAGE = "message", _("Message (SMS, WeChat)")


class ComplaintReply(models.Model):
    """A reply promised to the customer, and the reply given (the handling form records both)."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="replies", verbose_name=_("complaint")
    )
    method = models.CharField(_("method"), max_length=10, choices=ReplyMethod.choices)
    requested_for = models.DateTimeField(_("requested for"))
    scheduled_for = models.DateTimeField(_("scheduled for"))
    urgent = models.BooleanField(_("urgent, or the customer agreed to this time"), default=False)
    promised = models.TextField(_("reply promised"), blank=True)
    # A written reply: its text, and the manager's confirmation of exactly that text.
    text = models.TextField(_("text of the written reply"), blank=True)
    confirmed_text = models.TextField(_("text confirmed"), blank=True)
    confirmed_by = person(_("confirmed by"))
    confirmed_at = moment(_("confirmed at"))
    given = models.TextField(_("reply given"), blank=True)
    done_at = moment(verbose_name=_("done at"))
    deadline = models.OneToOneField(
        ComplaintDeadline,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reply",
        verbose_name=_("deadline"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        ordering = ["scheduled_for", "pk"]
        verbose_name = _("reply to the customer")
        verbose_name_plural = _("replies to the customer")

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.scheduled_for:%Y-%m-%d %H:%M}"

    @property
    def moved_to_business_hours(self) -> bool:
        return self.scheduled_for != self.requested_for

    @property
    def needs_confirmation(self) -> bool:
        return self.method == ReplyMethod.WRITTEN

    @property
    def is_confirmed(self) -> bool:
        """A written reply's current text is the one a manager confirmed."""
        return self.confirmed_at is not None and bool(self.text) and self.text == self.confirmed_text


class ComplaintEventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Handler assigned")
    STEP = "step", _("Handling step")
    APPROVED = "approved", _("Promise approved")
    ESCALATED = "escalated", _("Escalated up the ladder")
    REMINDER = "reminder", _("Reminder")
    BREACH = "breach", _("Time limit missed")
    REPLY = "reply", _("Reply to the customer")
    ATTACHMENT = "attachment", _("Attachment")
    INCIDENT = "incident", _("Escalated into an incident")
    FREQUENT = "frequent", _("Frequent complainer detected")
    COMPLAINED_ABOUT = "complained_about", _("Staff member complained about")
    REPLY_CONFIRMED = "reply_confirmed", _("Written reply confirmed")
    EXTENDED = "extended", _("Time limit extended")


class ComplaintEvent(models.Model):
    """The complaint's own log: every step, every move up the ladder, every missed limit."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="events", verbose_name=_("complaint")
    )
    kind = models.CharField(max_length=20, choices=ComplaintEventKind.choices, verbose_name=_("kind"))
    actor = person(verbose_name=_("actor"))
    level = models.PositiveSmallIntegerField(choices=Level.choices, verbose_name=_("level"))
    state = models.CharField(max_length=20, choices=ComplaintState.choices, verbose_name=_("state"))
    text = models.TextField(blank=True, verbose_name=_("text"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("complaint log entry")
        verbose_name_plural = _("complaint log")

    def __str__(self) -> str:
        return f"{self.kind} #{self.complaint_id}"


class ComplaintView(models.Model):
    """Who saw a complaint's personal details unmasked, and when."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="views", verbose_name=_("complaint")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    via = models.CharField(max_length=10, verbose_name=_("via"))  # "page" or "api"
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("complaint access")
        verbose_name_plural = _("complaint access log")

    def __str__(self) -> str:
        return f"{self.user} viewed #{self.complaint_id}"


def _attachment_path(instance: ComplaintAttachment, filename: str) -> str:
    return f"complaints/{instance.complaint_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class ComplaintAttachment(models.Model):
    complaint = models.ForeignKey(
        Complaint, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("complaint")
    )
    file = models.FileField(_("file"), upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveIntegerField(_("size in bytes"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Trigger(models.TextChoices):
    VIP = "vip", _("VIP complainer")
    INJURY = "injury", _("Risk of injury, fire, accident or health harm")
    REPEAT = "repeat", _("Same category at the same project, repeatedly")
    ONLINE = "online", _("Spreading online")
    MASS = "mass", _("Mass complaint (owners acting together)")


class EscalationRule(models.Model):
    """When a complaint opens an incident (or joins the open one), with which playbook and severity.

    Rules are evaluated in `order`; the first that matches decides. Admins edit them.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    crisis_kind = models.CharField(_("kind of crisis to open"), max_length=40, choices=CrisisKind.choices)
    severity = models.PositiveSmallIntegerField(
        _("severity"), default=3, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    # A complaint is a signal, not a confirmed crisis: a *risk* of injury is not an accident, a
    # journalist asking is not a story, a wave is not a scandal. In triage no statutory clock and
    # no automatic first-hour statement starts (内紧外松) until the commander decides.
    opens_in_triage = models.BooleanField(
        _("opens in triage"),
        default=True,
        help_text=_(
            "The incident opens in triage: nothing of its playbook runs until the commander confirms it "
            "happened (legal clocks then run from when the company learned of it) or stands it down."
        ),
    )
    vip_flags = models.JSONField(
        _("VIP flags that trigger"), default=list, blank=True, help_text=_("Only for the VIP trigger.")
    )
    threshold = models.PositiveIntegerField(
        _("how many complaints"), default=5, validators=[MinValueValidator(2)], help_text=_("Only for repeats.")
    )
    window_hours = models.PositiveIntegerField(
        _("within hours"), default=24, validators=[MinValueValidator(1)], help_text=_("Only for repeats.")
    )

    name = bilingual("name", _("name"))

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="escalation_rule_severity"),
            models.CheckConstraint(condition=Q(threshold__gte=2), name="escalation_rule_threshold"),
            models.CheckConstraint(condition=Q(window_hours__gte=1), name="escalation_rule_window"),
        ]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_zh}"

    def clean(self) -> None:
        errors = {}
        if self.trigger == Trigger.VIP:
            flags = self.vip_flags if isinstance(self.vip_flags, list) else None
            if not flags or any(f not in VipFlag.values for f in flags):
                errors["vip_flags"] = _("Choose one or more of: %(flags)s.") % {"flags": ", ".join(VipFlag.values)}
        if errors:
            raise ValidationError(errors)


class EscalationLatch(models.Model):
    """One row per (kind of crisis, project): escalations for the same key queue on its lock, so
    concurrent complaints open exactly one incident and the rest join it."""

    key = models.CharField(max_length=300, unique=True, verbose_name=_("key"))
    incident = models.ForeignKey(
        "incidents.Incident", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("incident")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("escalation latch")
        verbose_name_plural = _("escalation latches")

    def __str__(self) -> str:
        return self.key
