"""一个声音 — one voice: the statements and Q&A lines (口径) an incident speaks with.

PR staff (or the incident's spokesperson) draft; the commander approves (and a second reviewer,
e.g. legal, where the playbook's template asks for it); only approved text is published. The
rules are held by the database, not only by the services (crisis.services, the only writer):

- at most one published statement per incident and audience (a conditional unique constraint);
- a published (or superseded) statement carries its approvals, and its text is exactly the text
  that was approved (a check constraint comparing it with the approved snapshot), so no path that
  skips the services — the admin, a shell, a bulk `update()` — can publish unapproved words;
- the same for Q&A lines: one approved line per topic, and its words are the approved words.

The `state` fields are protected django-fsm fields: they move only through the transitions
below, which crisis.services calls after checking who may, under the incident's row lock.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from config.model_fields import moment, optional, person
from incidents.models import Incident
from playbooks.models import Audience, StatementPurpose, StatementTemplate
from playbooks.models import QALine as PlaybookQALine


class TextLanguage(models.TextChoices):
    """The language a statement or Q&A line is written in (and its template filled in)."""

    ZH = "zh", _("Chinese")
    EN = "en", _("English")


class CompanyProfile(models.Model):
    """Who the company is, as its statements name it: admins keep it current. One row; where a field
    is empty, drafted text shows a gap (【公司名称】) that must be filled before anything is published."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    hotline = models.CharField(_("customer hotline"), max_length=40, blank=True)
    address_zh = models.CharField(_("address (Chinese)"), max_length=300, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("company profile")
        verbose_name_plural = _("company profile")

    def __str__(self) -> str:
        return self.name_zh or self.name_en or str(_("company profile"))

    @classmethod
    def current(cls) -> CompanyProfile:
        return cls.objects.order_by("pk").first() or cls()


class StatementState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Text can still change in these states; an edit of an approved statement sends it back to review.
EDITABLE_STATEMENT_STATES = (
    StatementState.DRAFT,
    StatementState.REJECTED,
    StatementState.IN_REVIEW,
    StatementState.APPROVED,
)
UNPUBLISHED_STATEMENT_STATES = EDITABLE_STATEMENT_STATES


class ReviewedText(FSMModelMixin, models.Model):
    """What statements and Q&A lines share: words drafted in one language, versioned by every
    edit, reviewed by the commander, rejected with a comment, superseded by a newer approved
    version, or withdrawn. One lifecycle, one review service (crisis.voice.review); each kind adds
    only what is its own (audiences and publishing; topics and revisions)."""

    language = models.CharField(_("language"), max_length=5, choices=TextLanguage.choices, default=TextLanguage.ZH)
    # Bumped by every edit. A reviewer's approval names the version they read, so an edit made
    # while they were reading is not approved by accident.
    version = models.PositiveIntegerField(_("version"), default=1)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("drafted by")
    )
    created_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    edited_by = person(_("last edited by"))
    edited_at = moment(_("last edited at"))
    submitted_by = person(_("submitted by"))
    submitted_at = moment(_("submitted at"))
    approved_by = person(_("approved by"))
    approved_at = moment(_("approved at"))
    rejected_by = person(_("rejected by"))
    rejected_at = moment(_("rejected at"))
    rejection_comment = models.TextField(_("reason for rejection"), blank=True)
    superseded_by = optional("self", _("superseded by"))
    superseded_at = moment(_("superseded at"))
    withdrawn_by = person(_("withdrawn by"))
    withdrawn_at = moment(_("withdrawn at"))
    withdrawn_reason = models.TextField(_("reason for withdrawing"), blank=True)

    class Meta:
        abstract = True

    def stamp_submitted(self, by) -> None:
        self.submitted_by = by
        self.submitted_at = timezone.now()

    def stamp_rejected(self, by, comment: str) -> None:
        self.rejected_by = by
        self.rejected_at = timezone.now()
        self.rejection_comment = comment
        self.clear_approvals()

    def stamp_superseded(self, newer: ReviewedText) -> None:
        self.superseded_by = newer
        self.superseded_at = timezone.now()

    def stamp_withdrawn(self, by, reason: str) -> None:
        self.withdrawn_by = by
        self.withdrawn_at = timezone.now()
        self.withdrawn_reason = reason

    def clear_approvals(self) -> None:
        raise NotImplementedError


def _fully_approved(statement: Statement) -> bool:
    return statement.fully_approved


class Statement(ReviewedText):
    """One statement to one audience. Each row is one message; a newer message for the same
    audience supersedes it when published, and the older one stays readable as history."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="statements", verbose_name=_("incident")
    )
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    purpose = models.CharField(_("purpose"), max_length=20, choices=StatementPurpose.choices, blank=True)
    template = optional(StatementTemplate, _("template"))
    title = models.CharField(_("title"), max_length=200)
    # Plain text, always shown escaped; line breaks are kept.
    body = models.TextField(_("text"))
    state = FSMField(_("state"), default=StatementState.DRAFT, choices=StatementState.choices, protected=True)
    # Copied from the template when drafting, so the database can check it without a join (and a
    # later playbook version cannot change what this statement needs).
    needs_second_review = models.BooleanField(_("needs a second reviewer"), default=False)
    second_reviewer = person(_("second reviewer"))
    second_approved_at = moment(_("second review at"))
    # The words the approvals cover, frozen when the last approval lands.
    approved_title = models.CharField(max_length=200, blank=True, verbose_name=_("title as approved"))
    approved_body = models.TextField(blank=True, verbose_name=_("text as approved"))
    published_by = person(_("published by"))
    published_at = moment(_("published at"))

    class Meta:
        ordering = ["incident", "-created_at", "-pk"]
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        indexes = [models.Index(fields=["incident", "audience", "state"])]
        permissions = [
            ("draft_statement", _("May draft and submit statements and Q&A lines")),
            ("review_statement_legal", _("May give the second (legal) review of statements")),
        ]
        constraints = [
            # 一个声音: at most one current (published) statement per incident and audience.
            models.UniqueConstraint(
                fields=["incident", "audience"],
                condition=Q(state="published"),
                name="one_published_statement_per_audience",
            ),
            # Approved, published or superseded text carries its approvals and is exactly the
            # approved text. Whatever writes the row, unapproved words cannot be published.
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "published", "superseded"])
                | (
                    Q(approved_by__isnull=False, approved_at__isnull=False)
                    & Q(title=F("approved_title"), body=F("approved_body"))
                    & (
                        Q(needs_second_review=False)
                        | Q(second_reviewer__isnull=False, second_approved_at__isnull=False)
                    )
                ),
                name="statement_approved_text_only",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["published", "superseded"])
                | Q(published_by__isnull=False, published_at__isnull=False),
                name="statement_published_has_publisher",
            ),
            models.CheckConstraint(
                condition=~Q(state="superseded") | Q(superseded_at__isnull=False),
                name="statement_superseded_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_audience_display()}: {self.title}"

    @property
    def fully_approved(self) -> bool:
        commander = self.approved_by_id is not None and self.approved_at is not None
        second = not self.needs_second_review or (
            self.second_reviewer_id is not None and self.second_approved_at is not None
        )
        return commander and second

    @property
    def is_current(self) -> bool:
        return self.state == StatementState.PUBLISHED

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_STATEMENT_STATES

    def clear_approvals(self) -> None:
        self.approved_by = None
        self.approved_at = None
        self.second_reviewer = None
        self.second_approved_at = None
        self.approved_title = ""
        self.approved_body = ""

    # --- The lifecycle. Only crisis.services calls these (checks, lock, timeline). ---------------

    @transition(field=state, source=[StatementState.DRAFT, StatementState.REJECTED], target=StatementState.IN_REVIEW)
    def submit(self, by) -> None:
        self.stamp_submitted(by)
        self.clear_approvals()

    @transition(field=state, source=StatementState.APPROVED, target=StatementState.IN_REVIEW)
    def return_to_review(self) -> None:
        """An approved statement was edited: its approvals no longer cover its words."""
        self.clear_approvals()

    @transition(
        field=state, source=StatementState.IN_REVIEW, target=StatementState.APPROVED, conditions=[_fully_approved]
    )
    def mark_approved(self) -> None:
        self.approved_title = self.title
        self.approved_body = self.body

    @transition(field=state, source=StatementState.IN_REVIEW, target=StatementState.REJECTED)
    def reject(self, by, comment: str) -> None:
        self.stamp_rejected(by, comment)

    @transition(
        field=state, source=StatementState.APPROVED, target=StatementState.PUBLISHED, conditions=[_fully_approved]
    )
    def publish(self, by) -> None:
        self.published_by = by
        self.published_at = timezone.now()

    @transition(field=state, source=StatementState.PUBLISHED, target=StatementState.SUPERSEDED)
    def supersede(self, newer: Statement) -> None:
        self.stamp_superseded(newer)

    @transition(
        field=state,
        source=[*UNPUBLISHED_STATEMENT_STATES, StatementState.PUBLISHED],
        target=StatementState.WITHDRAWN,
    )
    def withdraw(self, by, reason: str) -> None:
        self.stamp_withdrawn(by, reason)


class StatementRevision(models.Model):
    """The words of each version of a statement, as drafted or edited: the approvals log keeps
    who cleared what, and this keeps what it was they cleared or sent back."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="revisions", verbose_name=_("statement")
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("edited by")
    )
    edited_at = models.DateTimeField(default=timezone.now, verbose_name=_("edited at"))

    class Meta:
        ordering = ["statement", "number"]
        verbose_name = _("statement revision")
        verbose_name_plural = _("statement revisions")
        constraints = [
            models.UniqueConstraint(fields=["statement", "number"], name="statement_revision_number_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.statement_id} v{self.number}"


class QALineState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


EDITABLE_LINE_STATES = (QALineState.DRAFT, QALineState.REJECTED, QALineState.IN_REVIEW)
OPEN_LINE_STATES = EDITABLE_LINE_STATES


class QALine(ReviewedText):
    """One question with the answer front-line staff may give (口径), for one incident.

    An approved line is in force: it is what the printable page lists. Changing it means drafting
    a revision of it (same topic); the revision goes through review, and approving it supersedes
    the line in force in the same transaction, so the front line is never without an answer.
    """

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="qa_lines", verbose_name=_("incident")
    )
    # All revisions of one question share a topic; at most one of them is in force.
    topic = models.UUIDField(default=uuid.uuid4, editable=False, verbose_name=_("topic"))
    revises = optional("self", _("revises"))
    source = optional(PlaybookQALine, _("from the playbook line"))
    order = models.PositiveIntegerField(_("order"), default=0)
    question = models.TextField(_("question"))
    answer = models.TextField(_("approved answer"))
    state = FSMField(_("state"), default=QALineState.DRAFT, choices=QALineState.choices, protected=True)
    approved_question = models.TextField(blank=True, verbose_name=_("question as approved"))
    approved_answer = models.TextField(blank=True, verbose_name=_("answer as approved"))

    class Meta:
        ordering = ["incident", "order", "pk"]
        verbose_name = _("Q&A line")
        verbose_name_plural = _("Q&A lines")
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "topic"], condition=Q(state="approved"), name="one_approved_line_per_topic"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "superseded"])
                | (
                    Q(approved_by__isnull=False, approved_at__isnull=False)
                    & Q(question=F("approved_question"), answer=F("approved_answer"))
                ),
                name="qa_line_approved_text_only",
            ),
        ]

    def __str__(self) -> str:
        return self.question[:80]

    @property
    def editable(self) -> bool:
        return self.state in EDITABLE_LINE_STATES

    def clear_approvals(self) -> None:
        self.approved_by = None
        self.approved_at = None
        self.approved_question = ""
        self.approved_answer = ""

    @transition(field=state, source=[QALineState.DRAFT, QALineState.REJECTED], target=QALineState.IN_REVIEW)
    def submit(self, by) -> None:
        self.stamp_submitted(by)

    @transition(field=state, source=QALineState.IN_REVIEW, target=QALineState.APPROVED)
    def approve(self, by) -> None:
        self.approved_by = by
        self.approved_at = timezone.now()
        self.approved_question = self.question
        self.approved_answer = self.answer

    @transition(field=state, source=QALineState.IN_REVIEW, target=QALineState.REJECTED)
    def reject(self, by, comment: str) -> None:
        self.stamp_rejected(by, comment)

    @transition(field=state, source=QALineState.APPROVED, target=QALineState.SUPERSEDED)
    def supersede(self, newer: QALine) -> None:
        self.stamp_superseded(newer)

    @transition(field=state, source=[*OPEN_LINE_STATES, QALineState.APPROVED], target=QALineState.WITHDRAWN)
    def withdraw(self, by, reason: str) -> None:
        self.stamp_withdrawn(by, reason)


# --- Customer messages: a published statement for customers, carried to them by SMS ---------------


class CustomerMessageState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class CustomerMessage(models.Model):
    """One SMS of one statement to one customer (by phone): sent once, however often sending is asked."""

    statement = models.ForeignKey(
        Statement, on_delete=models.PROTECT, related_name="customer_messages", verbose_name=_("statement")
    )
    phone_key = models.CharField(_("phone key"), max_length=20)
    phone = models.CharField(_("phone"), max_length=40)
    state = models.CharField(
        _("state"), max_length=10, choices=CustomerMessageState.choices, default=CustomerMessageState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = moment(_("sent at"))

    class Meta:
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        constraints = [
            models.UniqueConstraint(fields=["statement", "phone_key"], name="one_message_per_customer_and_statement")
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.statement_id} → …{self.phone_key[-4:]}"


class CustomerOptOut(models.Model):
    """A customer who asked for no more messages (replied 退订 / T, or told us): never sent to again."""

    phone_key = models.CharField(_("phone key"), max_length=20, unique=True)
    at = models.DateTimeField(_("since"), default=timezone.now)
    source = models.CharField(_("how"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("customer opt-out")
        verbose_name_plural = _("customer opt-outs")

    def __str__(self) -> str:
        return f"…{self.phone_key[-4:]}"
