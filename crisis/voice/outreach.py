"""Customer messages: a published statement for the `customers` audience, carried by SMS to the
customers linked to the incident (the phones of its complaints), through the SMS gateway of the
paging channel. One row per statement and customer (database-unique), so asking twice sends
nothing twice; a customer who replied 退订 / T is never sent to again; an exercise never sends.
Delivery runs on the delivery queue after commit, and a sweep on the beat retries what is pending."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import urllib.error
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.commands import Permission
from config.errors import RuleBroken
from incidents.complaints.models import Complaint, phone_key_of
from incidents.notify import adapters
from incidents.timeline import lock_incident
from playbooks.models import Audience

from .models import CustomerMessage, CustomerMessageState, CustomerOptOut, Statement, StatementState
from .services import _record_statement, get_visible_statement, may_publish

log = logging.getLogger(__name__)

SEND_TO_CUSTOMERS = Permission(
    lambda user, incident: may_publish(user, incident),
    _("Only the commander, the spokesperson or an admin may send a statement to customers."),
)
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=60)
OPT_OUT_WORDS = {"t", "td", "n", "stop", "unsubscribe", "退订", "退", "取消"}


def send_to_customers(statement_id: int, *, by) -> dict[str, int]:
    """Queue one SMS of the statement to every customer of its incident who has not opted out."""
    statement = get_visible_statement(statement_id, by)
    with transaction.atomic():
        incident = lock_incident(statement.incident_id)
        SEND_TO_CUSTOMERS.check(by, incident)
        statement = Statement.objects.get(pk=statement_id)
        if incident.exercise:
            raise RuleBroken(_("An exercise never messages customers."))
        if statement.audience != Audience.CUSTOMERS:
            raise RuleBroken(_("Only a statement for customers is sent to customers."))
        if statement.state != StatementState.PUBLISHED:
            raise RuleBroken(_("Only the current published statement is sent."), state=statement.state)
        if not settings.CRISIS_SMS_GATEWAY_URL:
            raise RuleBroken(_("No SMS gateway is configured (CRISIS_SMS_GATEWAY_URL)."))
        phones: dict[str, str] = {}
        for phone in (
            Complaint.objects.filter(incident=incident)
            .exclude(customer_phone="")
            .values_list("customer_phone", flat=True)
        ):
            key = phone_key_of(phone)
            if key:
                phones.setdefault(key, phone)
        opted_out = set(CustomerOptOut.objects.filter(phone_key__in=phones).values_list("phone_key", flat=True))
        before = CustomerMessage.objects.filter(statement=statement).count()
        CustomerMessage.objects.bulk_create(
            [
                CustomerMessage(statement=statement, phone_key=key, phone=phone)
                for key, phone in phones.items()
                if key not in opted_out
            ],
            ignore_conflicts=True,  # asked again: each customer still gets it once
        )
        queued = CustomerMessage.objects.filter(statement=statement).count() - before
        _record_statement(incident, statement, "sent_to_customers", by=by, recipients=queued)
        transaction.on_commit(lambda: deliver_customer_messages.delay(statement.pk))
    return {"queued": queued, "opted_out": len(opted_out), "customers": len(phones)}


def deliver(statement_id: int) -> int:
    """Send what is pending for the statement; returns how many went out."""
    statement = Statement.objects.select_related("incident").get(pk=statement_id)
    sent = 0
    now = timezone.now()
    due = Q(state=CustomerMessageState.PENDING) & (Q(attempts=0) | Q(created_at__lte=now - RETRY_AFTER))
    for message_id in list(
        CustomerMessage.objects.filter(due, statement=statement).values_list("pk", flat=True)[:1000]
    ):
        with transaction.atomic():
            message = CustomerMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
            if message is None or message.state != CustomerMessageState.PENDING:
                continue
            if statement.incident.exercise:  # belt and braces: a drill never reaches a customer
                message.state, message.last_error = CustomerMessageState.FAILED, "exercise"
                message.save()
                continue
            try:
                adapters.post(
                    adapters.sms_request(phone=message.phone, subject=statement.title, link=""), success="sms"
                )
            except (OSError, urllib.error.URLError, ValueError) as exc:
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.state = CustomerMessageState.FAILED
                message.save()
                log.warning("Customer message %s failed (attempt %s): %s", message.pk, message.attempts, exc)
                continue
            message.attempts += 1
            message.state, message.sent_at = CustomerMessageState.SENT, timezone.now()
            message.save()
            sent += 1
    return sent


@shared_task(name="outreach.deliver_customer_messages", acks_late=True, ignore_result=True)
def deliver_customer_messages(statement_id: int) -> int:
    return deliver(statement_id)


@shared_task(name="outreach.sweep_customer_messages", ignore_result=True)
def sweep_customer_messages() -> int:
    """What a lost task or a refusing gateway left pending, retried."""
    statements = CustomerMessage.objects.filter(state=CustomerMessageState.PENDING).values_list("statement", flat=True)
    return sum(deliver(pk) for pk in set(statements))


def counts(statement: Statement) -> dict[str, int]:
    rows = CustomerMessage.objects.filter(statement=statement)
    return {state: rows.filter(state=state).count() for state in CustomerMessageState.values}


# --- Replies: the gateway tells us a customer answered 退订 -----------------------------------------


def signature_ok(timestamp: str, signature: str, raw: bytes) -> bool:
    """The same signature as our requests to the gateway (README, "SMS"): a timestamp within five
    minutes and a hex HMAC-SHA256 keyed with the shared key over "timestamp\\n" + the raw body."""
    key = settings.CRISIS_SMS_GATEWAY_KEY
    if not key or not timestamp.isdigit() or abs(int(timestamp) - time.time()) > 300:
        return False
    expected = hmac.new(key.encode(), f"{timestamp}\n".encode() + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def record_reply(phone: Any, text: Any) -> bool:
    """A customer's reply; True when it asked to stop (and is now recorded)."""
    if not isinstance(phone, str) or not isinstance(text, str):
        raise RuleBroken(_("A reply has a phone and a text."))
    key = phone_key_of(phone)
    if not key:
        raise RuleBroken(_("A reply has a phone and a text."))
    if text.strip().lower() not in OPT_OUT_WORDS:
        return False
    CustomerOptOut.objects.get_or_create(phone_key=key, defaults={"source": "sms reply"})
    return True
