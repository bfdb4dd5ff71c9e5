"""Notifications: one module, three channels.

- in the console: a Notification row, read in the console (and the timeline entry beside it);
- e-mail: Django's mail backends (console in development);
- webhooks: JSON POSTed to the endpoints admins configure, signed with HMAC-SHA256 of the body
  under the endpoint's shared secret (header X-Crisis-Signature: sha256=<hex>).

Delivery is at least once with retries: a delivery leases its row, sends outside any database
transaction, and records the result; a failure is retried with exponential backoff and recorded
(attempts, last error) until it succeeds or gives up as "failed" — never dropped silently. The
periodic `sweep` redelivers anything whose attempt is due, so a lost worker only delays a message.
Webhook receivers deduplicate by the `id` in the payload (also in X-Crisis-Delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    Channel,
    Incident,
    Notification,
    NotificationPreference,
    NotificationState,
    RoleAssignment,
    Task,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)
User = get_user_model()

LEASE = timedelta(seconds=60)


# --- Who hears about what -------------------------------------------------------------------------


def _role_holders(incident: Incident, roles: list[str]) -> set:
    """Active holders of `roles`. The commander is on the incident row already: no query for it."""
    people = {incident.commander} if "commander" in roles and incident.commander is not None else set()
    others = [r for r in roles if r != "commander"]
    if others:
        ids = RoleAssignment.objects.filter(incident=incident, role__in=others, ended_at__isnull=True).values("user")
        people |= set(User.objects.filter(pk__in=ids, is_active=True))
    return people


def _group_members(group_settings: list[str]) -> set:
    names = [getattr(settings, name) for name in group_settings]
    if not names:
        return set()
    return set(User.objects.filter(is_active=True, groups__name__in=names).distinct())


_GROUP_TARGETS = {"admins": "CRISIS_GROUP_ADMINS", "executives": "CRISIS_GROUP_EXECUTIVES"}
_ROLE_TARGETS = ("commander", "spokesperson", "liaison")


def _targets(target) -> list[str]:
    return target.escalation_targets if hasattr(target, "escalation_targets") else []


def reminder_recipients(incident: Incident, target) -> set:
    """A reminder goes to those who can still act: the commander, the roles the rule names, and
    for a task its assignee (or the holders of its owning role)."""
    people = _role_holders(incident, [t for t in _targets(target) if t in _ROLE_TARGETS])
    if isinstance(target, Task):
        if target.assignee_id:
            people.add(target.assignee)
        else:
            people |= _role_holders(incident, [target.owner_role])
    if incident.commander is not None:
        people.add(incident.commander)
    return {p for p in people if p.is_active}


def breach_recipients(incident: Incident, target) -> set:
    """A breach escalates: everyone a reminder reaches, plus the groups the rule escalates to."""
    people = reminder_recipients(incident, target)
    people |= _group_members([_GROUP_TARGETS[t] for t in _targets(target) if t in _GROUP_TARGETS])
    return people


def _preferences(users) -> dict[int, NotificationPreference]:
    stored = {p.user_id: p for p in NotificationPreference.objects.filter(user__in=[u.pk for u in users])}
    return {u.pk: stored.get(u.pk) or NotificationPreference(user=u, language=settings.LANGUAGE_CODE) for u in users}


# --- What they read --------------------------------------------------------------------------------


def _complaint_texts(event: str, data: dict[str, Any], language: str) -> tuple[str, str]:
    from .complaints.models import ComplaintDeadlineKind, Level

    with translation.override(language):
        due = timezone.localtime(datetime.fromisoformat(data["due_at"]))
        values = {
            "id": data["complaint"],
            "title": ComplaintDeadlineKind(data["kind"]).label,
            "due": due.strftime("%Y-%m-%d %H:%M"),
            "level": Level(data["level"]).label,
            "project": data.get("project") or "—",
        }
        if event == "reminder":
            subject = _("Complaint #%(id)s: “%(title)s” is due at %(due)s") % values
            body = _("Complaint #%(id)s (%(project)s, %(level)s): “%(title)s” is due at %(due)s.") % values
        else:
            subject = _("Complaint #%(id)s: “%(title)s” was due at %(due)s and is missed") % values
            body = _(
                "Complaint #%(id)s (%(project)s): “%(title)s” was due at %(due)s and is missed. "
                "It now lies with %(level)s."
            ) % {**values, "level": Level(data.get("now_level", data["level"])).label}
        return subject, body


def _texts(event: str, data: dict[str, Any], incident: Incident | None, language: str) -> tuple[str, str]:
    if incident is None:
        return _complaint_texts(event, data, language)
    with translation.override(language):
        title = data.get("title_zh") if language.startswith("zh") else data.get("title_en")
        title = title or data.get("title_en") or data.get("title_zh") or ""
        due = timezone.localtime(datetime.fromisoformat(data["due_at"])) if data.get("due_at") else None
        values = {
            "title": title,
            "due": due.strftime("%Y-%m-%d %H:%M") if due else "",
            "incident": f"#{incident.pk} {incident.title}",
            "lead": data.get("lead_minutes") or "",
        }
        if event == "reminder":
            subject = _("Reminder: “%(title)s” is due at %(due)s (%(incident)s)") % values
            body = _("“%(title)s” is due at %(due)s, in %(lead)s minutes. Incident: %(incident)s.") % values
        else:
            subject = _("Missed: “%(title)s” was due at %(due)s (%(incident)s)") % values
            body = (
                _("“%(title)s” was due at %(due)s and is not done. This is an escalation. Incident: %(incident)s.")
                % values
            )
        return subject, body


def _payload(event: str, incident: Incident | None, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": f"{data.get('target', 'deadline')}.{'breached' if event == 'breach' else 'reminder'}",
        "incident": (
            {"id": incident.pk, "title": incident.title, "kind": incident.kind, "severity": incident.severity}
            if incident is not None
            else None
        ),
        "data": {k: v for k, v in data.items() if k not in ("assignee",)},
        "at": timezone.now().isoformat(),
    }


def alarm_raised(
    incident: Incident | None, alarm, target, data: dict[str, Any], *, recipients: set, complaint=None
) -> list[Notification]:
    """Record the notifications of an alarm (inside the handler's transaction); send on commit.
    A complaint's alarm has no incident: it names the complaint instead."""
    event = alarm.kind
    created: list[Notification] = []
    people = sorted(recipients, key=lambda u: u.pk)
    preferences = _preferences(people)
    for user in people:
        pref = preferences[user.pk]
        subject, body = _texts(event, data, incident, pref.language or settings.LANGUAGE_CODE)
        channels = [Channel.IN_APP]
        if pref.email and user.email:
            channels.append(Channel.EMAIL)
        for channel in channels:
            created.append(
                Notification(
                    channel=channel,
                    recipient=user,
                    incident=incident,
                    complaint=complaint,
                    alarm=alarm,
                    event=event,
                    subject=subject,
                    body=body,
                    state=NotificationState.SENT if channel == Channel.IN_APP else NotificationState.PENDING,
                    sent_at=timezone.now() if channel == Channel.IN_APP else None,
                )
            )
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        subject, body = _texts(event, data, incident, "en")
        created.append(
            Notification(
                channel=Channel.WEBHOOK,
                endpoint=endpoint,
                incident=incident,
                complaint=complaint,
                alarm=alarm,
                event=event,
                subject=subject,
                body=body,
                payload=_payload(event, incident, data),
            )
        )
    # The alarm lock makes a second handling impossible; should one ever slip through, the unique
    # constraints make the database drop its duplicates instead of failing the handler.
    Notification.objects.bulk_create(created, ignore_conflicts=True)
    if any(n.state == NotificationState.PENDING for n in created):
        pending = list(
            Notification.objects.filter(alarm=alarm, state=NotificationState.PENDING).values_list("pk", flat=True)
        )
        transaction.on_commit(lambda: _enqueue(pending))
    return created


def _enqueue(ids: list[int]) -> None:
    from .tasks import deliver_notification

    for notification_id in ids:
        try:
            deliver_notification.delay(notification_id)
        except Exception:  # the broker is down: the sweep delivers it
            log.exception("Could not queue notification %s; the sweep will deliver it", notification_id)


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
