"""Notifications, each person's preferences, and the outside systems told by webhook."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.model_fields import moment, optional, person


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the console")
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")
    ROBOT = "robot", _("Chat group robot")
    SMS = "sms", _("SMS")


class Kind(models.TextChoices):
    """Kinds of notification, by which each person chooses their channels. The event codes are
    the contract of DESIGN.md; each domain sends its own, and they fall in these kinds."""

    PAGES = "pages", _("Pages: an incident needs a commander, command is yours")
    APPROVALS = "approvals", _("Waiting for my approval or review")
    ASSIGNMENTS = "assignments", _("A role, a task or a complaint given to me")
    OUTCOMES = "outcomes", _("What became of texts and incidents I took part in")
    CLOCKS = "clocks", _("Reminders and missed deadlines")


EVENT_KINDS: dict[str, str] = {
    "incident_declared": Kind.PAGES,
    "page_unacknowledged": Kind.PAGES,
    "command_handed_to_you": Kind.PAGES,
    "approval_requested": Kind.APPROVALS,
    "second_review_requested": Kind.APPROVALS,
    "complaint_approval_requested": Kind.APPROVALS,
    "role_assigned": Kind.ASSIGNMENTS,
    "task_assigned": Kind.ASSIGNMENTS,
    "complaint_escalated": Kind.ASSIGNMENTS,
    "drill_inject": Kind.ASSIGNMENTS,
    "statement_approved": Kind.OUTCOMES,
    "statement_rejected": Kind.OUTCOMES,
    "statement_published": Kind.OUTCOMES,
    "incident_closed": Kind.OUTCOMES,
    "report_ready": Kind.OUTCOMES,
    "deadline_reminder": Kind.CLOCKS,
    "deadline_breached": Kind.CLOCKS,
}
# What a muted incident still tells: what asks this person to act. Following only — outcomes
# and clocks — falls silent.
MUTABLE_KINDS = (Kind.OUTCOMES, Kind.CLOCKS)
# What a chat group hears by default: what the whole team must know at once.
DEFAULT_ROBOT_EVENTS = ["incident_declared", "page_unacknowledged", "deadline_breached", "statement_published"]


def kind_of(event: str) -> str:
    return EVENT_KINDS.get(event, Kind.OUTCOMES)


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def _robot_events() -> list[str]:
    return list(DEFAULT_ROBOT_EVENTS)


def _all_kinds() -> list[str]:
    return list(Kind.values)


class NotificationPreference(models.Model):
    """How one person is told: always in the console; by e-mail for the kinds they choose; pages
    also by SMS if they give a mobile number; nothing but the console in their quiet hours, except
    pages for severity I–II incidents."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
        verbose_name=_("user"),
    )
    email = models.BooleanField(_("by e-mail"), default=True)
    email_kinds = models.JSONField(_("e-mail me about"), default=_all_kinds, blank=True)
    # Empty: the console's default language (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default="")
    phone = models.CharField(_("mobile number for pages"), max_length=20, blank=True)
    sms_pages = models.BooleanField(_("pages by SMS"), default=False)
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True)

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


class ChatRobot(models.Model):
    """A chat group's robot (企业微信 / 钉钉 / 飞书): the team's group hears what everyone must know
    at once, as a card with a link back to the console. DingTalk and Feishu robots with 加签 are
    signed with the secret, as each documents; a WeCom robot's key is in its webhook address."""

    class Provider(models.TextChoices):
        WECOM = "wecom", _("WeCom (企业微信) group robot")
        DINGTALK = "dingtalk", _("DingTalk (钉钉) custom robot")
        FEISHU = "feishu", _("Feishu / Lark (飞书) custom bot")

    name = models.CharField(_("name"), max_length=100)
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    webhook_url = models.URLField(_("webhook address"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk 加签 (SEC…) or Feishu 签名校验 secret. Empty: the robot is not signed."),
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    events = models.JSONField(
        _("events"), default=_robot_events, blank=True, help_text=_("Event codes this group hears.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chat robot")
        verbose_name_plural = _("chat robots")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_provider_display()})"

    def clean(self) -> None:
        unknown = [e for e in (self.events or []) if e not in EVENT_KINDS]
        if not isinstance(self.events, list) or unknown:
            raise ValidationError(
                {"events": _("Unknown event codes: %(codes)s") % {"codes": ", ".join(map(str, unknown))}}
            )


class Mute(models.Model):
    """A person who only follows an incident (or a complaint) silences what merely informs them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    topic_type = models.CharField(max_length=40, verbose_name=_("topic type"))
    topic_id = models.PositiveBigIntegerField(verbose_name=_("topic id"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("muted topic")
        verbose_name_plural = _("muted topics")
        constraints = [
            models.UniqueConstraint(fields=["user", "topic_type", "topic_id"], name="one_mute_per_user_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.user} mutes {self.topic_type} #{self.topic_id}"


class Notification(models.Model):
    """One message to one recipient (or endpoint) over one channel, about one topic (an incident,
    a complaint: whatever the domain that sent it names). Failed deliveries are retried with
    backoff and recorded; nothing is dropped silently."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = person(_("recipient"), on_delete=models.CASCADE, related_name="notifications")
    endpoint = optional(WebhookEndpoint, _("endpoint"), on_delete=models.CASCADE)
    robot = optional(ChatRobot, _("chat robot"), on_delete=models.CASCADE)
    topic_type = models.CharField(_("about"), max_length=40, blank=True)
    topic_id = models.PositiveBigIntegerField(_("about which"), null=True, blank=True)
    # What caused it, e.g. "alarm:12": the same cause never notifies the same person (or endpoint)
    # twice over a channel, whatever retries or races happen upstream.
    cause = models.CharField(_("cause"), max_length=60, blank=True)
    event = models.CharField(_("event"), max_length=40)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"), blank=True)
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))
    state = models.CharField(
        _("state"), max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt at"))
    lease_until = moment(verbose_name=_("lease until"))
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
            models.UniqueConstraint(
                fields=["cause", "robot"],
                condition=~Q(cause="") & Q(robot__isnull=False),
                name="one_notification_per_cause_robot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} → {self.recipient or self.endpoint or self.robot}"
