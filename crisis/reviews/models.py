"""The after-action review (复盘) of a closed incident: what people write about it, their
feedback, and the action items that outlive it. What the record already says — the key moments,
the deadlines — is computed from the incident (`moments.py`), never typed in again."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.model_fields import moment, optional, person
from incidents.models import Incident
from playbooks.models import PlaybookVersion


class ReviewState(models.TextChoices):
    OPEN = "open", _("Being written")
    SIGNED_OFF = "signed_off", _("Signed off")


RATING_RANGE = (1, 5)


def _rating_constraint(name: str) -> models.CheckConstraint:
    low, high = RATING_RANGE
    return models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=low, rating__lte=high), name=name)


class Review(models.Model):
    """One per closed incident. "What, not who": the texts are about the response, not people."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="review", verbose_name=_("incident")
    )
    state = models.CharField(_("state"), max_length=12, choices=ReviewState.choices, default=ReviewState.OPEN)
    planned = models.TextField(_("what was planned"), blank=True)
    happened = models.TextField(_("what happened"), blank=True)
    why = models.TextField(_("why the two differed"), blank=True)
    keep = models.TextField(_("what to keep doing"), blank=True)
    change = models.TextField(_("what to change"), blank=True)
    rating = models.PositiveSmallIntegerField(_("how the response went (1–5)"), null=True, blank=True)
    # A drill's evaluation sheet (演练评估表): [{"question", "met": true|false|null, "note"}], its
    # questions copied from the drill script when the review opened (empty for a real incident).
    evaluation = models.JSONField(_("evaluation sheet"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    signed_off_by = person(_("signed off by"))
    signed_off_at = moment(_("signed off at"))

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            _rating_constraint("review_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(state=ReviewState.OPEN) | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
                name="review_signed_off_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Review of %(incident)s") % {"incident": self.incident})


class Feedback(models.Model):
    """A participant's short word on the response: one per person, which they may rewrite."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("review"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    rating = models.PositiveSmallIntegerField(_("how the response went (1–5)"), null=True, blank=True)
    text = models.TextField(_("feedback"), blank=True)
    at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(fields=["review", "author"], name="one_feedback_per_person"),
            _rating_constraint("feedback_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return self.text[:60]


class ActionState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ReviewAction(models.Model):
    """Something to do because of what the review found. It outlives the incident: it has an
    owner and a due date, and the clock reminds the owner and, when it is overdue, the commander."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="actions", verbose_name=_("review"))
    title = models.CharField(_("what to do"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=10, choices=ActionState.choices, default=ActionState.OPEN)
    # "Change the playbook": the draft opened for it, linked back to this review.
    playbook_draft = optional(PlaybookVersion, _("playbook draft"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = moment(_("finished at"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [models.Index(fields=["state", "owner", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(state=ActionState.OPEN) | Q(finished_at__isnull=False), name="action_finished_has_when"
            )
        ]

    def __str__(self) -> str:
        return self.title
