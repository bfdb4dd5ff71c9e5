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
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from datetime import time as dt_time
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import adapters, texts
from .models import (
    MUTABLE_KINDS,
    Channel,
    ChatRobot,
    Kind,
    Mute,
    Notification,
    NotificationPreference,
    NotificationState,
    WebhookEndpoint,
    kind_of,
)

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


# Drills (演练): each domain says which of its topics are exercises. Nothing about an exercise leaves
# the console — no e-mail, SMS, webhook or chat robot — and what stays in it says it is a drill.
ExerciseCheck = Callable[[int], bool]
_exercise_checks: dict[str, ExerciseCheck] = {}


def register_exercise_check(topic_type: str, check: ExerciseCheck) -> None:
    _exercise_checks[topic_type] = check


def is_exercise(topic: tuple[str, int | None]) -> bool:
    check = _exercise_checks.get(topic[0])
    return bool(check is not None and topic[1] is not None and check(topic[1]))


# E-mail attachments, per topic type: the file a message about that topic carries (a periodic
# report's spreadsheet), built when the e-mail is sent, in the recipient's language.
Attachment = tuple[str, bytes, str]  # file name, content, MIME type
AttachmentMaker = Callable[[int, str], Attachment | None]
_attachments: dict[str, AttachmentMaker] = {}


def register_attachment(topic_type: str, maker: AttachmentMaker) -> None:
    _attachments[topic_type] = maker


def _attachment_of(notification: Notification) -> Attachment | None:
    maker = _attachments.get(notification.topic_type)
    if maker is None or notification.topic_id is None:
        return None
    language = getattr(getattr(notification.recipient, "notification_preference", None), "language", "")
    return maker(notification.topic_id, language or settings.LANGUAGE_CODE)


def register_acknowledger(cause_prefix: str, acknowledger: Acknowledger) -> None:
    _acknowledgers[cause_prefix] = acknowledger


def listen_in_console(listener: ConsoleListener) -> None:
    if listener not in _console_listeners:
        _console_listeners.append(listener)


def preferences(users) -> dict[int, NotificationPreference]:
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}
    return {u.pk: stored.get(u.pk) or NotificationPreference(user=u, language=settings.LANGUAGE_CODE) for u in users}


def quiet_until(pref: NotificationPreference, at: datetime) -> datetime | None:
    """When `at` falls in the person's quiet hours, the moment they end; otherwise None."""
    if pref.quiet_from is None or pref.quiet_until is None or pref.quiet_from == pref.quiet_until:
        return None
    local = timezone.localtime(at)
    now, start, end = local.time(), pref.quiet_from, pref.quiet_until
    inside = start <= now < end if start < end else (now >= start or now < end)
    if not inside:
        return None
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return ends if ends > local else ends + timedelta(days=1)


def _muted(people: list, event: str, topic: tuple[str, int | None], needs_ack: bool) -> set[int]:
    if needs_ack or kind_of(event) not in MUTABLE_KINDS or topic[1] is None or not people:
        return set()
    rows = Mute.objects.filter(user__in=[u.pk for u in people], topic_type=topic[0], topic_id=topic[1])
    return set(rows.values_list("user_id", flat=True))


def send(
    *,
    event: str,
    recipients: Iterable,
    data: dict[str, Any],
    topic: tuple[str, int | None] = ("", None),
    cause: str = "",
    webhook: dict[str, Any] | None = None,
    needs_ack: bool = False,
    urgent: bool = False,
) -> list[Notification]:
    """Tell `recipients` — in the console always; by e-mail for the kinds each chose; a page also
    by SMS to those who gave a number — and, with a `webhook` payload (an announcement for the
    outside world), every active endpoint and the chat robots that hear this event. Runs inside
    the caller's transaction; sends after commit.

    `cause` (e.g. "alarm:12") makes the database drop a second notification of the same person
    over the same channel for the same cause, should a duplicate ever slip through upstream.
    `needs_ack` marks a page: its recipients are asked to acknowledge it. `urgent` (a page for a
    severity I–II incident) goes out in quiet hours too; anything else waits for them to end.
    Someone who muted the topic hears nothing of it that only informs them."""
    now = timezone.now()
    topic_type, topic_id = topic
    common = {"topic_type": topic_type, "topic_id": topic_id, "cause": cause, "event": event, "created_at": now}
    created: list[Notification] = []
    people = sorted({u for u in recipients if u.is_active}, key=lambda u: u.pk)
    muted = _muted(people, event, topic, needs_ack)
    people = [u for u in people if u.pk not in muted]
    prefs = preferences(people)
    kind = kind_of(event)
    drill = is_exercise(topic)
    for user in people:
        pref = prefs[user.pk]
        language = pref.language or settings.LANGUAGE_CODE
        subject, body = texts.render(topic_type, event, data, language)
        if drill:
            with translation.override(language):
                subject = _("[Exercise] %(subject)s") % {"subject": subject}
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
        if drill:
            continue  # an exercise stays in the console
        held = None if urgent else quiet_until(pref, now)
        later = {"next_attempt_at": held} if held else {}
        if pref.email and user.email and kind in (pref.email_kinds or []):
            created.append(
                Notification(channel=Channel.EMAIL, recipient=user, subject=subject, body=body, **later, **common)
            )
        if needs_ack and pref.sms_pages and pref.phone and settings.CRISIS_SMS_GATEWAY_URL:
            link = texts.link(topic_type, topic_id)
            created.append(
                Notification(
                    channel=Channel.SMS,
                    recipient=user,
                    subject=subject,
                    body=body,
                    payload={"phone": pref.phone, "link": link},
                    **later,
                    **common,
                )
            )
    if webhook is not None and not drill:
        created += _announcements(event, data, topic, webhook, common, now)
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


def tell(
    event: str,
    people: Iterable,
    *,
    by,
    data: dict[str, Any],
    topic: tuple[str, int | None],
    cause: str,
    webhook: dict[str, Any] | None = None,
) -> None:
    """What every domain's alerts do: tell `people` — leaving out empty places and `by`, since
    nobody is told of their own action — unless nobody is left and nothing is announced."""
    people = {p for p in people if p is not None and p != by}
    if people or webhook is not None:
        send(event=event, recipients=people, data=data, topic=topic, cause=cause, webhook=webhook)


def _announcements(event, data, topic, webhook, common, now) -> list[Notification]:
    """The outside world's copies: each active webhook endpoint, and each chat robot that hears
    this event (in the robot's language, with a link back to the console)."""
    rows: list[Notification] = []
    endpoints = list(WebhookEndpoint.objects.filter(active=True))
    if endpoints:
        subject, body = texts.render(topic[0], event, data, WEBHOOK_LANGUAGE)
        payload = {**webhook, "at": now.isoformat()}
        rows += [
            Notification(channel=Channel.WEBHOOK, endpoint=e, subject=subject, body=body, payload=payload, **common)
            for e in endpoints
        ]
    for robot in ChatRobot.objects.filter(active=True):
        if event not in (robot.events or []):
            continue
        subject, body = texts.render(topic[0], event, data, robot.language)
        with translation.override(robot.language):
            button = str(_("Open in the console"))
        payload = {"link": texts.link(*topic), "button": button}
        rows.append(
            Notification(channel=Channel.ROBOT, robot=robot, subject=subject, body=body, payload=payload, **common)
        )
    return rows


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


PHONE = re.compile(r"^\+?[0-9]{6,15}$")


def set_preference(
    user,
    *,
    email: bool,
    language: str,
    email_kinds: Iterable[str] | None = None,
    phone: str = "",
    sms_pages: bool = False,
    quiet_from: dt_time | None = None,
    quiet_until: dt_time | None = None,
) -> NotificationPreference:
    """Each person chooses how they are told: the console always; e-mail for the kinds they pick;
    pages by SMS to a mobile number; quiet hours (both ends, or neither); their language."""
    errors: dict[str, str] = {}
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Unknown language.")
    kinds = list(Kind.values if email_kinds is None else email_kinds)
    if any(k not in Kind.values for k in kinds):
        errors["email_kinds"] = _("Unknown kind of notification.")
    phone = (phone or "").replace(" ", "").replace("-", "")
    if phone and not PHONE.match(phone):
        errors["phone"] = _("A mobile number is 6 to 15 digits, optionally after a +.")
    if sms_pages and not phone:
        errors["phone"] = _("Pages by SMS need a mobile number.")
    if (quiet_from is None) != (quiet_until is None):
        errors["quiet_until"] = _("Quiet hours need a start and an end.")
    elif quiet_from is not None and quiet_from == quiet_until:
        errors["quiet_until"] = _("Quiet hours cannot start and end at the same time.")
    if errors:
        raise ValidationError(errors)
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "email": bool(email),
            "language": language,
            "email_kinds": [k for k in Kind.values if k in kinds],
            "phone": phone,
            "sms_pages": bool(sms_pages),
            "quiet_from": quiet_from,
            "quiet_until": quiet_until,
        },
    )
    return preference


def is_muted(user, topic_type: str, topic_id: int) -> bool:
    return Mute.objects.filter(user=user, topic_type=topic_type, topic_id=topic_id).exists()


def set_muted(user, topic_type: str, topic_id: int, muted: bool) -> bool:
    """Mute or unmute a topic for one person (the caller has checked they may see it)."""
    if muted:
        Mute.objects.get_or_create(user=user, topic_type=topic_type, topic_id=topic_id)
    else:
        Mute.objects.filter(user=user, topic_type=topic_type, topic_id=topic_id).delete()
    return muted


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
    return Notification.objects.select_related("recipient", "endpoint", "robot").get(pk=notification_id)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send(notification: Notification) -> None:
    if notification.channel == Channel.ROBOT:
        robot = notification.robot
        outgoing = adapters.robot_request(
            robot,
            subject=notification.subject,
            body=notification.body,
            link=notification.payload.get("link", ""),
            button=notification.payload.get("button", ""),
        )
        adapters.post(outgoing, success=robot.provider)
        return
    if notification.channel == Channel.SMS:
        outgoing = adapters.sms_request(
            phone=notification.payload.get("phone", ""),
            subject=notification.subject,
            link=notification.payload.get("link", ""),
        )
        adapters.post(outgoing, success="sms")
        return
    if notification.channel == Channel.EMAIL:
        message = EmailMessage(
            notification.subject, notification.body, settings.DEFAULT_FROM_EMAIL, [notification.recipient.email]
        )
        attachment = _attachment_of(notification)
        if attachment is not None:
            message.attach(*attachment)
        message.send()
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
