"""Notifications, each person's preferences, and the outside systems told by webhook."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.model_fields import moment, optional, person


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the console")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("by e-mail"), default=True)
    # Empty: the console's default language (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default="")

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)


class WebhookEndpoint(models.Model):
    """An outside system told about reminders and breaches: JSON, signed with the shared secret."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    secret = models.CharField(_("shared secret"), max_length=200)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """One message to one recipient (or endpoint) over one channel, about one topic (an incident,
    a complaint: whatever the domain that sent it names). Failed deliveries are retried with
    backoff and recorded; nothing is dropped silently."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = person(_("recipient"), on_delete=models.CASCADE, related_name="notifications")
    endpoint = optional(WebhookEndpoint, _("endpoint"), on_delete=models.CASCADE)
    topic_type = models.CharField(_("about"), max_length=40, blank=True)
    topic_id = models.PositiveBigIntegerField(_("about which"), null=True, blank=True)
    # What caused it, e.g. "alarm:12": the same cause never notifies the same person (or endpoint)
    # twice over a channel, whatever retries or races happen upstream.
    cause = models.CharField(_("cause"), max_length=60, blank=True)
    event = models.CharField(_("event"), max_length=40)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = moment()
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = moment(_("sent at"))
    read_at = moment(_("read at"))
    # A page (a call for someone to act now) waits for its recipient to say "I have it"; the domain
    # that paged registered what acknowledging it does (incidents: stop the escalation).
    needs_ack = models.BooleanField(_("needs acknowledgement"), default=False)
    acked_at = moment(_("acknowledged at"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["topic_type", "topic_id"], name="notification_topic"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "channel", "recipient"],
                condition=~Q(cause="") & Q(recipient__isnull=False),
                name="one_notification_per_cause_recipient_channel",
            ),
            models.UniqueConstraint(
                fields=["cause", "endpoint"],
                condition=~Q(cause="") & Q(endpoint__isnull=False),
                name="one_notification_per_cause_endpoint",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} → {self.recipient or self.endpoint}"
