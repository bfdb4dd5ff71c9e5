"""Notifications: one module, three channels.

- in the console: a Notification row, read in the console;
- e-mail: Django's mail backends (console in development), by each person's preference;
- webhooks: JSON POSTed to the endpoints admins configure, signed with HMAC-SHA256 of the body
  under the endpoint's shared secret (header X-Crisis-Signature: sha256=<hex>).

`send` records the notifications inside the caller's transaction; deliveries go out after commit
on their own Celery queue, so a slow receiver never delays an alarm. Delivery is at least once
with retries: a delivery leases its row, sends outside any database transaction, and records the
result; a failure is retried with exponential backoff and recorded (attempts, last error) until it
succeeds or gives up as "failed" — never dropped silently. The periodic `sweep` redelivers
anything whose attempt is due, so a lost worker only delays a message. Webhook receivers
deduplicate by the `id` in the payload (also in X-Crisis-Delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import texts
from .models import Channel, Notification, NotificationPreference, NotificationState, WebhookEndpoint

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
WEBHOOK_LANGUAGE = "en"

# What acknowledging a notification does, per the prefix of its cause ("page:12:0" → "page"),
# registered by the domain that sent it: it runs in the acknowledging transaction.
Acknowledger = Callable[[Notification, Any], None]
_acknowledgers: dict[str, Acknowledger] = {}
# Who hears, after commit, that notifications reached people in the console (the live badge).
ConsoleListener = Callable[[list[dict[str, Any]]], None]
_console_listeners: list[ConsoleListener] = []


def register_acknowledger(cause_prefix: str, acknowledger: Acknowledger) -> None:
    _acknowledgers[cause_prefix] = acknowledger


def listen_in_console(listener: ConsoleListener) -> None:
    if listener not in _console_listeners:
        _console_listeners.append(listener)


def preferences(users) -> dict[int, NotificationPreference]:
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}
    return {u.pk: stored.get(u.pk) or NotificationPreference(user=u, language=settings.LANGUAGE_CODE) for u in users}


def send(
    *,
    event: str,
    recipients: Iterable,
    data: dict[str, Any],
    topic: tuple[str, int | None] = ("", None),
    cause: str = "",
    webhook: dict[str, Any] | None = None,
    needs_ack: bool = False,
) -> list[Notification]:
    """Tell `recipients` (in the console, and by e-mail where they want it) and, with a `webhook`
    payload, every active endpoint. Runs inside the caller's transaction; sends after commit.

    `cause` (e.g. "alarm:12") makes the database drop a second notification of the same person
    over the same channel for the same cause, should a duplicate ever slip through upstream.
    `needs_ack` marks a page: its recipients are asked to acknowledge it."""
    now = timezone.now()
    topic_type, topic_id = topic
    common = {"topic_type": topic_type, "topic_id": topic_id, "cause": cause, "event": event, "created_at": now}
    created: list[Notification] = []
    people = sorted({u for u in recipients if u.is_active}, key=lambda u: u.pk)
    prefs = preferences(people)
    for user in people:
        pref = prefs[user.pk]
        subject, body = texts.render(topic_type, event, data, pref.language or settings.LANGUAGE_CODE)
        created.append(
            Notification(
                channel=Channel.IN_APP,
                recipient=user,
                subject=subject,
                body=body,
                state=NotificationState.SENT,
                sent_at=now,
                needs_ack=needs_ack,
                **common,
            )
        )
        if pref.email and user.email:
            created.append(Notification(channel=Channel.EMAIL, recipient=user, subject=subject, body=body, **common))
    if webhook is not None:
        endpoints = list(WebhookEndpoint.objects.filter(active=True))
        if endpoints:
            subject, body = texts.render(topic_type, event, data, WEBHOOK_LANGUAGE)
            payload = {**webhook, "at": now.isoformat()}
            created += [
                Notification(channel=Channel.WEBHOOK, endpoint=e, subject=subject, body=body, payload=payload, **common)
                for e in endpoints
            ]
    # With a cause, the unique constraints drop duplicates instead of failing the caller.
    Notification.objects.bulk_create(created, ignore_conflicts=bool(cause))
    _announce_in_console(created, cause=cause, at=now)
    if any(n.state == NotificationState.PENDING for n in created):
        if cause:  # ignore_conflicts leaves no primary keys: read back what is pending
            pending_rows = Notification.objects.filter(cause=cause, state=NotificationState.PENDING)
            pending = list(pending_rows.values_list("pk", flat=True))
        else:
            pending = [n.pk for n in created if n.state == NotificationState.PENDING]
        transaction.on_commit(lambda: _enqueue(pending))
    return created


def _announce_in_console(created: list[Notification], *, cause: str, at) -> None:
    """After commit, tell the listeners (the live transport) what reached whom in the console."""
    console = [n for n in created if n.channel == Channel.IN_APP]
    if not console or not _console_listeners:
        return
    if cause:  # ignore_conflicts leaves no primary keys, and may have dropped a duplicate
        console = list(
            Notification.objects.filter(
                cause=cause, channel=Channel.IN_APP, created_at=at, recipient__in=[n.recipient_id for n in console]
            )
        )
    announced = [console_message(n) for n in console]
    transaction.on_commit(lambda: _tell_listeners(announced))


def console_message(notification: Notification) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "user": notification.recipient_id,
        "event": notification.event,
        "topic_type": notification.topic_type,
        "topic_id": notification.topic_id,
        "subject": notification.subject,
        "body": notification.body,
        "needs_ack": notification.needs_ack,
        "created_at": notification.created_at.isoformat(),
    }


def _tell_listeners(announced: list[dict[str, Any]]) -> None:
    for listener in _console_listeners:
        try:
            listener(announced)
        except Exception:  # the live badge is a convenience: the inbox has the rows
            log.exception("A console listener failed; the notifications are in the inbox")


def _enqueue(ids: list[int]) -> None:
    for notification_id in ids:
        try:
            deliver_notification.delay(notification_id)
        except Exception:  # the broker is down: the sweep delivers it
            log.exception("Could not queue notification %s; the sweep will deliver it", notification_id)


# --- Reading ---------------------------------------------------------------------------------------


def inbox(user):
    """A person's notifications in the console, newest first."""
    return Notification.objects.filter(recipient=user, channel=Channel.IN_APP).order_by("-created_at", "-pk")


def unread_count(user) -> int:
    return inbox(user).filter(read_at__isnull=True).count()


def mark_read(user) -> int:
    return inbox(user).filter(read_at__isnull=True).update(read_at=timezone.now())


def unacknowledged(user):
    """Pages that still wait for this person to say "I have it"."""
    return inbox(user).filter(needs_ack=True, acked_at__isnull=True)


def acknowledge(notification_id: int, user) -> Notification:
    """The recipient acknowledges a notification (and reads it). For a page, what the sending
    domain registered runs in the same transaction (e.g. the escalation stops). Acknowledging
    twice changes nothing. Someone else's notification does not exist for this user."""
    notification = inbox(user).get(pk=notification_id)
    if notification.acked_at is not None:
        return notification
    now = timezone.now()
    with transaction.atomic():
        # The domain locks its own rows first (the order its other writers use), then this one.
        acknowledger = _acknowledgers.get(notification.cause.partition(":")[0])
        if acknowledger is not None:
            acknowledger(notification, user)
        Notification.objects.filter(pk=notification.pk, acked_at__isnull=True).update(
            acked_at=now, read_at=Coalesce("read_at", Value(now))
        )
    notification.refresh_from_db()
    return notification


def preference_of(user) -> NotificationPreference | None:
    return NotificationPreference.objects.filter(user=user).first()


def set_preference(user, *, email: bool, language: str) -> NotificationPreference:
    """Each person chooses their channels (the console always; e-mail or not) and language."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": bool(email), "language": language}
    )
    return preference


# --- Delivery --------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    base = settings.CRISIS_NOTIFY_BACKOFF_SECONDS
    return timedelta(seconds=min(base * (2 ** max(attempts - 1, 0)), 3600))


def _claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Notification.objects.filter(pk=notification_id, state=NotificationState.PENDING, next_attempt_at__lte=now)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=now + LEASE)
        )
    if not claimed:
        return None
    return Notification.objects.select_related("recipient", "endpoint").get(pk=notification_id)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send(notification: Notification) -> None:
    if notification.channel == Channel.EMAIL:
        send_mail(notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email])
        return
    if notification.channel == Channel.WEBHOOK:
        payload = {"id": notification.pk, **notification.payload}
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        url = notification.endpoint.url
        if not url.startswith(("http://", "https://")):
            raise ValueError("webhook URLs must be http or https")
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - scheme checked above
        request.add_header("Content-Type", "application/json")
        request.add_header("X-Crisis-Event", payload.get("event", ""))
        request.add_header("X-Crisis-Delivery", str(notification.pk))
        request.add_header("X-Crisis-Signature", sign(notification.endpoint.secret, body))
        with urllib.request.urlopen(request, timeout=settings.CRISIS_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise OSError(f"HTTP {response.status}")


def deliver(notification_id: int) -> bool:
    """Try to deliver one notification now. True when it went out."""
    notification = _claim(notification_id)
    if notification is None:
        return False
    try:
        _send(notification)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        attempts = notification.attempts + 1
        give_up = attempts >= settings.CRISIS_NOTIFY_MAX_ATTEMPTS
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + backoff(attempts),
            state=NotificationState.FAILED if give_up else NotificationState.PENDING,
            lease_until=None,
        )
        log.warning("Delivery of notification %s failed (attempt %s): %s", notification.pk, attempts, exc)
        return False
    Notification.objects.filter(pk=notification.pk).update(
        attempts=notification.attempts + 1, state=NotificationState.SENT, sent_at=timezone.now(), lease_until=None
    )
    return True


def sweep(limit: int = 200) -> int:
    """Deliver every pending notification whose attempt is due (retries, and any lost message)."""
    now = timezone.now()
    due = (
        Notification.objects.filter(state=NotificationState.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(pk) for pk in list(due))


# --- Celery tasks: on the delivery queue (settings.CELERY_TASK_ROUTES) -----------------------------


@shared_task(name="notify.deliver_notification", acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> bool:
    return deliver(notification_id)


@shared_task(name="notify.sweep_notifications", ignore_result=True)
def sweep_notifications() -> int:
    return sweep()
