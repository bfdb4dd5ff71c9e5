"""The only writers of complaints: intake, the handling form's steps, replies, attachments.

Every write runs in one transaction that locks the complaint's row first (the order every writer
uses: complaint, then its incident), logs the step on the complaint's own log and, for a complaint
that is part of an incident, on the incident's timeline (`journal`). Time limits and the ladder
are in `ladder`, on the generic alarm clock.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from config import dates
from config.errors import RuleBroken
from config.text import text_error

from ..clock import workdays
from ..timeline import person
from . import access, alerts, ladder, rules
from .journal import log as _log
from .journal import on_incident as _on_incident
from .ladder import lock as _lock
from .models import (
    ACTIONS,
    DISPUTABLE_STATES,
    TOP_INTERNAL_LEVEL,
    Complaint,
    ComplaintAttachment,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintDeadline,
    ComplaintDeadlineKind,
    ComplaintDeadlineState,
    ComplaintEventKind,
    ComplaintReply,
    ComplaintState,
    ComplaintView,
    Complexity,
    Level,
    ReplyMethod,
    ReportClass,
    RootCause,
    TimeLimitProfile,
    VipFlag,
    phone_key_of,
)

MAX_TEXT = 10_000
RECEIVED_SKEW = timedelta(minutes=5)
# The floor is fixed (config.dates), not "a year ago", so that a backlog, an old letter or a test
# about a past holiday can still be logged.
RECEIVED_EARLIEST = dates.EARLIEST
REPLY_AT_MOST_AHEAD = dates.AT_MOST_AHEAD
ATTACHMENT_TYPES = {
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".txt", ".doc", ".docx", ".xls", ".xlsx",
    ".mp3", ".m4a", ".amr", ".wav", ".mp4", ".mov",
}  # fmt: skip
ATTACHMENTS_PER_COMPLAINT = 50


# --- Cleaning input (forms and API share it: bad input changes nothing) ------------------------------


def _text(value: Any, field: str, errors: dict, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    value, error = text_error(value, required=required, max_length=max_length)
    if error:
        errors[field] = error
    return value


def _choice(value: Any, field: str, choices, errors: dict, *, required: bool, default: str = "") -> str:
    if value in (None, ""):
        if required:
            errors[field] = _("This field is required.")
        return default
    if not isinstance(value, str) or value not in choices.values:
        errors[field] = _("Unknown value “%(value)s”; one of: %(choices)s.") % {
            "value": value,
            "choices": ", ".join(choices.values),
        }
        return default
    return value


def _flag(value: Any, field: str, errors: dict) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return value.lower() in ("true", "1", "yes", "on")
    errors[field] = _("Must be true or false.")
    return False


def _moment(value: Any, field: str, errors: dict, *, earliest: datetime, latest: datetime) -> datetime | None:
    """An ISO-8601 date and time between `earliest` and `latest`, made aware; else a field error."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            value = None
    if not isinstance(value, datetime):
        errors[field] = _("An ISO-8601 date and time.")
        return None
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value)
        except (OverflowError, ValueError):
            value = value.replace(tzinfo=UTC)  # out of range anyway: said below
    error = dates.range_error(value, earliest=earliest, latest=latest)
    if error:
        errors[field] = error
        return None
    return value


MAX_ID = 2**31 - 1  # beyond the database's integer range no row exists (and the query must not see it)


def _active_user_id(value: Any, field: str, errors: dict) -> int | None:
    """The id of an active user (an id, its text, or the user), or None when empty; else a field error."""
    if value in (None, ""):
        return None
    if hasattr(value, "pk") and not isinstance(value, str | int):
        value = value.pk
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        errors[field] = _("The id of an active user.")
        return None
    if not get_user_model().objects.filter(pk=value, is_active=True).exists():
        errors[field] = _("No active user has this id.")
        return None
    return value


def clean_intake(data: Any) -> dict[str, Any]:
    """The complaint's fields from a JSON body or a form, or a ValidationError naming each bad field."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": _("Send a JSON object.")})
    errors: dict[str, str] = {}
    fields = {
        "channel": _choice(data.get("channel"), "channel", ComplaintChannel, errors, required=True),
        "category": _choice(data.get("category"), "category", ComplaintCategory, errors, required=True),
        "complexity": _choice(
            data.get("complexity"), "complexity", Complexity, errors, required=False, default=Complexity.GENERAL
        ),
        "wants": _text(data.get("wants"), "wants", errors, max_length=300),
        "description": _text(data.get("description"), "description", errors, required=True),
        "customer_name": _text(data.get("customer_name"), "customer_name", errors, max_length=100),
        "customer_phone": _text(data.get("customer_phone"), "customer_phone", errors, max_length=40),
        "unit": _text(data.get("unit"), "unit", errors, max_length=100),
        "project": _text(data.get("project"), "project", errors, max_length=200),
        "injury_risk": _flag(data.get("injury_risk"), "injury_risk", errors),
        "online_spread": _flag(data.get("online_spread"), "online_spread", errors),
        "mass_complaint": _flag(data.get("mass_complaint"), "mass_complaint", errors),
    }
    phone = fields["customer_phone"]
    if phone and not all(c.isdigit() or c in "+-() " for c in phone):
        errors["customer_phone"] = _("A phone number has digits, spaces and + - ( ) only.")
    vip = data.get("vip") or []
    if isinstance(vip, str):
        vip = [v for v in vip.replace(",", " ").split() if v]
    if not isinstance(vip, list) or any(not isinstance(v, str) or v not in VipFlag.values for v in vip):
        errors["vip"] = _("A list of: %(flags)s.") % {"flags": ", ".join(VipFlag.values)}
        vip = []
    fields["vip"] = sorted(set(vip))
    fields["complained_about_id"] = _active_user_id(data.get("complained_about"), "complained_about", errors)
    if data.get("received_at") not in (None, ""):
        now = timezone.now()
        received_at = _moment(
            data["received_at"],
            "received_at",
            errors,
            earliest=RECEIVED_EARLIEST,
            latest=now + RECEIVED_SKEW,
        )
        if received_at is not None:
            fields["received_at"] = received_at
    if errors:
        raise ValidationError(errors)
    return fields


def _clean_key(key: Any) -> str:
    if key in (None, ""):
        return ""
    if not isinstance(key, str) or len(key) > 200 or not key.isprintable():
        raise ValidationError({"idempotency_key": _("An Idempotency-Key is printable text of at most 200 characters.")})
    return key.strip()


def _fingerprint(fields: dict[str, Any]) -> str:
    canonical = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --- Intake ----------------------------------------------------------------------------------------


def intake(*, by, data: Any, idempotency_key: Any = "") -> tuple[Complaint, bool]:
    """Log a complaint; flag a frequent complainer; start its clocks; apply the escalation rules in
    the same transaction.

    Returns (complaint, created). The same Idempotency-Key from the same client returns the
    complaint it created the first time (created=False); the same key with a different complaint
    is a conflict.
    """
    access.LOG.check(by)
    fields = clean_intake(data)
    key = _clean_key(idempotency_key)
    fingerprint = _fingerprint(fields) if key else ""
    if key:
        existing = Complaint.objects.filter(logged_by=by, idempotency_key=key).first()
        if existing is not None:
            return _replayed(existing, fingerprint), False
    received_at = fields.pop("received_at", None) or timezone.now()
    phone = phone_key_of(fields["customer_phone"])
    try:
        with transaction.atomic():
            # The profile in force holds the complaint to its limits, and says who complains often.
            limits = TimeLimitProfile.current()
            earlier = _earlier_from_the_same_phone(phone, received_at, limits)
            frequent = earlier is not None and earlier + 1 >= limits.frequent_complainer_count
            if frequent:
                fields["vip"] = sorted({*fields["vip"], VipFlag.FREQUENT_COMPLAINER})
            complaint = Complaint.objects.create(
                **fields,
                received_at=received_at,
                phone_key=phone,
                time_limits=limits if limits.pk else None,
                logged_by=by,
                idempotency_key=key,
                request_fingerprint=fingerprint,
            )
            _log(complaint, ComplaintEventKind.RECEIVED, actor=by, data={"channel": complaint.channel})
            if frequent:
                _log(
                    complaint,
                    ComplaintEventKind.FREQUENT,
                    data={
                        "earlier": earlier,
                        "days": limits.frequent_complainer_days,
                        "threshold": limits.frequent_complainer_count,
                    },
                )
            ladder.start_level(complaint, start=complaint.received_at, limits=limits)
            rules.apply(complaint, by=by)
    except IntegrityError:
        # The same key raced in from a retry: the first one won; answer with it.
        existing = Complaint.objects.filter(logged_by=by, idempotency_key=key).first() if key else None
        if existing is None:
            raise
        return _replayed(existing, fingerprint), False
    return complaint, True


def _earlier_from_the_same_phone(phone: str, received_at: datetime, limits: TimeLimitProfile) -> int | None:
    """How many complaints from this phone number came in within the profile's window before this
    one (one range scan of the complaint_phone index); None without a number to compare."""
    if not phone:
        return None
    since = received_at - timedelta(days=limits.frequent_complainer_days)
    return Complaint.objects.filter(phone_key=phone, received_at__gte=since, received_at__lte=received_at).count()


def _replayed(existing: Complaint, fingerprint: str) -> Complaint:
    if existing.request_fingerprint and fingerprint != existing.request_fingerprint:
        raise RuleBroken(
            _("This Idempotency-Key was already used for a different complaint (#%(id)s).") % {"id": existing.pk},
            complaint=existing.pk,
        )
    return existing


# --- Reading ---------------------------------------------------------------------------------------


def visible_complaints(user) -> QuerySet[Complaint]:
    """Every signed-in staff member may follow complaints (with personal details masked)."""
    if not access.may_log(user):
        return Complaint.objects.none()
    return Complaint.objects.select_related("handler", "incident", "logged_by", "complained_about", "time_limits")


def get_complaint(complaint_id: int, user) -> Complaint:
    return visible_complaints(user).get(pk=complaint_id)


def personal_details(complaint: Complaint, user, *, via: str) -> dict[str, str]:
    """The customer's name and phone as `user` may see them. Seeing them unmasked is recorded."""
    if access.sees_personal_data(user, complaint):
        _record_view(complaint, user, via=via)
        return {"customer_name": complaint.customer_name, "customer_phone": complaint.customer_phone, "masked": False}
    return {
        "customer_name": access.mask_name(complaint.customer_name),
        "customer_phone": access.mask_phone(complaint.customer_phone),
        "masked": True,
    }


# One entry per person, complaint and way in per this many minutes: a handler reloading the page
# while on the phone with the customer is one look at the details, not twenty.
VIEW_LOG_MINUTES = 10


def _record_view(complaint: Complaint, user, *, via: str) -> None:
    since = timezone.now() - timedelta(minutes=VIEW_LOG_MINUTES)
    if not ComplaintView.objects.filter(complaint=complaint, user=user, via=via, at__gte=since).exists():
        ComplaintView.objects.create(complaint=complaint, user=user, via=via)


def allowed_actions(complaint: Complaint, user) -> list[str]:
    """The handling steps `user` may take now, in the order of the form."""
    if not access.may_handle(user, complaint):
        return []
    found = []
    for action in ACTIONS:
        if action == "approve":
            if (
                complaint.state == ComplaintState.PROPOSED
                and complaint.approval_needed
                and complaint.approved_at is None
                and access.may_approve(user, complaint)
            ):
                found.append(action)
        elif action == "dispute":
            if complaint.state in DISPUTABLE_STATES and complaint.level < Level.OUTSIDE_BODY:
                found.append(action)
        elif can_proceed(getattr(complaint, action)):
            found.append(action)
    if complaint.is_open and complaint.handler_id != user.pk:
        found.insert(0, "take")
    return found


# --- Handling --------------------------------------------------------------------------------------


def _amount(value: Any, errors: dict) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors["compensation"] = _("An amount in yuan, e.g. 2000 or 1999.50.")
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10") or amount != amount.quantize(Decimal("0.01")):
        errors["compensation"] = _("An amount in yuan, e.g. 2000 or 1999.50.")
        return None
    return amount


def take(complaint_id: int, *, by) -> Complaint:
    """Become the complaint's handler (the one who owns the handling form at its current level)."""
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.HANDLE.check(by, complaint)
        if not complaint.is_open:
            raise RuleBroken(_("This complaint is closed."))
        complaint.handler = by
        complaint.save(update_fields=["handler"])
        _log(complaint, ComplaintEventKind.ASSIGNED, actor=by, data={"handler": person(by)})
    return complaint


def act(complaint_id: int, *, by, action: str, data: dict[str, Any] | None = None) -> Complaint:
    """One step of the handling form: acknowledge, investigate, propose, approve, agree, implement,
    follow_up, close, or dispute (the customer does not accept the result: one rung up the ladder)."""
    if action not in ACTIONS:
        raise ValidationError({"action": _("Unknown step “%(action)s”.") % {"action": action}})
    data = data if isinstance(data, dict) else {}
    errors: dict[str, str] = {}
    note = _text(data.get("note"), "note", errors)
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.HANDLE.check(by, complaint)
        step = _STEPS[action]
        changes = step(complaint, by=by, data=data, note=note, errors=errors)
        if errors:
            raise ValidationError(errors)
        if changes is not None:
            _log(complaint, ComplaintEventKind.STEP, actor=by, text=note, data={"action": action, **changes})
    return complaint


def _refuse_step(complaint: Complaint, action: str) -> None:
    raise RuleBroken(
        _("“%(action)s” is not possible while the complaint is %(state)s.")
        % {"action": action, "state": complaint.get_state_display()},
        state=complaint.state,
    )


def _transition(complaint: Complaint, action: str) -> None:
    method = getattr(complaint, action)
    if not can_proceed(method):
        _refuse_step(complaint, action)
    method()


def _acknowledge(complaint: Complaint, *, by, data, note, errors) -> dict:
    _transition(complaint, "acknowledge")
    complaint.acknowledged_at = timezone.now()
    if complaint.handler_id is None:
        complaint.handler = by
    complaint.save()
    met = ladder.stop_clocks(complaint, [ComplaintDeadlineKind.ACKNOWLEDGE], state=ComplaintDeadlineState.MET)
    return {"late": any(d.due_at < complaint.acknowledged_at for d in met)}


def _investigate(complaint: Complaint, *, by, data, note, errors) -> dict:
    facts = _text(data.get("facts"), "facts", errors)
    emotions = _text(data.get("emotions"), "emotions", errors)
    if errors:
        return {}
    _transition(complaint, "investigate")
    complaint.facts = facts or complaint.facts
    complaint.emotions = emotions or complaint.emotions
    complaint.save()
    return {}


def _propose(complaint: Complaint, *, by, data, note, errors) -> dict:
    facts = _text(data.get("facts"), "facts", errors) or complaint.facts
    root_cause = _text(data.get("root_cause"), "root_cause", errors, required=True)
    root_cause_category = _choice(
        data.get("root_cause_category"), "root_cause_category", RootCause, errors, required=False
    )
    options = _text(data.get("options"), "options", errors)
    solution = _text(data.get("solution"), "solution", errors, required=True)
    amount = _amount(data.get("compensation"), errors)
    if not facts and "facts" not in errors:
        errors["facts"] = _("Record the verified facts (separate from the customer's emotions) first.")
    if errors:
        return {}
    _transition(complaint, "propose")
    complaint.facts = facts
    complaint.root_cause = root_cause
    complaint.root_cause_category = root_cause_category
    complaint.options = options
    complaint.solution = solution
    complaint.compensation = amount
    # A promise beyond the handler's authority waits for the level above.
    complaint.approval_needed = amount is not None and amount > settings.CRISIS_COMPLAINT_APPROVAL_ABOVE
    complaint.approved_by = None
    complaint.approved_at = None
    complaint.save()
    if complaint.approval_needed:
        alerts.approval_requested(complaint, by=by, proposal=complaint.events.count())
    return {"compensation": str(amount) if amount is not None else None, "approval_needed": complaint.approval_needed}


def _approve(complaint: Complaint, *, by, data, note, errors) -> dict | None:
    if complaint.state != ComplaintState.PROPOSED or not complaint.approval_needed:
        raise RuleBroken(_("There is no promise waiting for approval."))
    if complaint.approved_at is not None:
        raise RuleBroken(_("This promise is already approved."))
    access.APPROVE.check(by, complaint)
    complaint.approved_by = by
    complaint.approved_at = timezone.now()
    complaint.save(update_fields=["approved_by", "approved_at"])
    _log(
        complaint,
        ComplaintEventKind.APPROVED,
        actor=by,
        text=note,
        data={"compensation": str(complaint.compensation)},
    )
    return None


def _agree(complaint: Complaint, *, by, data, note, errors) -> dict:
    if complaint.state == ComplaintState.PROPOSED and complaint.approval_needed and complaint.approved_at is None:
        raise RuleBroken(
            _(
                "Compensation of %(amount)s yuan is beyond the handler's authority (%(limit)s): "
                "it needs approval from the level above before the customer is told."
            )
            % {"amount": complaint.compensation, "limit": settings.CRISIS_COMPLAINT_APPROVAL_ABOVE},
            approval_needed=True,
        )
    _transition(complaint, "agree")
    complaint.save()
    return {}


def _implement(complaint: Complaint, *, by, data, note, errors) -> dict:
    _transition(complaint, "implement")
    complaint.implemented_at = timezone.now()
    complaint.save()
    met = ladder.stop_clocks(complaint, [ComplaintDeadlineKind.RESOLVE], state=ComplaintDeadlineState.MET)
    ladder.new_deadline(complaint, ComplaintDeadlineKind.FOLLOW_UP, ladder.follow_up_due(complaint))
    return {"late": any(d.due_at < complaint.implemented_at for d in met)}


def _follow_up(complaint: Complaint, *, by, data, note, errors) -> dict:
    raw = data.get("satisfaction")
    try:
        satisfaction = int(raw)
        if str(satisfaction) != str(raw).strip() or not 1 <= satisfaction <= 5:
            raise ValueError
    except (TypeError, ValueError):
        errors["satisfaction"] = _("How satisfied the customer is, from 1 (not at all) to 5 (fully).")
        return {}
    _transition(complaint, "follow_up")
    complaint.satisfaction = satisfaction
    complaint.save()
    ladder.stop_clocks(complaint, [ComplaintDeadlineKind.FOLLOW_UP], state=ComplaintDeadlineState.MET)
    return {"satisfaction": satisfaction}


def _report_class(value: Any, errors: dict) -> int | None:
    if isinstance(value, str) and value.strip() in ("1", "2"):
        value = int(value.strip())
    if isinstance(value, bool) or value not in ReportClass.values:
        errors["report_class"] = _(
            "How the supervisor was told: 1 (category 1, orally) or 2 (category 2, a written report)."
        )
        return None
    return value


def _close(complaint: Complaint, *, by, data, note, errors) -> dict:
    # LASTR's "report": nothing closes before the supervisor is told — orally for category 1 (who
    # was told is recorded), in a written report for category 2. A complaint not ready to close is
    # told so first: the report is asked for only when it can close.
    if not can_proceed(complaint.close):
        _refuse_step(complaint, "close")
    report_class = _report_class(data.get("report_class"), errors)
    reported_to = _text(
        data.get("reported_to"), "reported_to", errors, required=report_class == ReportClass.ORAL, max_length=200
    )
    report_text = _text(data.get("report_text"), "report_text", errors, required=report_class == ReportClass.WRITTEN)
    if errors:
        return {}
    _transition(complaint, "close")
    complaint.closed_at = timezone.now()
    complaint.report_class = report_class
    complaint.reported_to = reported_to
    complaint.report_text = report_text
    complaint.reported_at = complaint.closed_at
    complaint.save()
    ladder.stop_clocks(complaint, list(ComplaintDeadlineKind.values), state=ComplaintDeadlineState.CANCELLED)
    _on_incident(complaint, "closed", actor=by)
    return {"report_class": report_class, "reported_to": reported_to, "report_text": report_text}


def _dispute(complaint: Complaint, *, by, data, note, errors) -> None:
    reason = _text(data.get("reason") or note, "reason", errors, required=True)
    outside_body = _text(data.get("outside_body"), "outside_body", errors, max_length=200)
    if complaint.state not in DISPUTABLE_STATES:
        if errors:
            return None
        _refuse_step(complaint, "dispute")
    if complaint.level >= Level.OUTSIDE_BODY:
        raise RuleBroken(_("The complaint is already with an outside body."))
    if complaint.level == TOP_INTERNAL_LEVEL and not outside_body:
        errors["outside_body"] = _(
            "Name the outside body the customer turns to (consumer association, regulator, arbitration, court)."
        )
    if errors:
        return None
    ladder.climb(complaint, by=by, reason=reason, cause="dispute", outside_body=outside_body)
    return None


_STEPS = {
    "acknowledge": _acknowledge,
    "investigate": _investigate,
    "propose": _propose,
    "approve": _approve,
    "agree": _agree,
    "implement": _implement,
    "follow_up": _follow_up,
    "close": _close,
    "dispute": _dispute,
}


# --- Replies to the customer (quiet hours) ---------------------------------------------------------


def schedule_reply(
    complaint_id: int, *, by, method: Any, at: Any, urgent: bool = False, promised: Any = "", text: Any = ""
) -> ComplaintReply:
    """Promise the customer a reply. A phone call is only ever scheduled in business hours on a
    working day, unless it is urgent or the customer asked for that time. A written reply (letter,
    fax) may carry its text at once; it goes only once a manager has confirmed that text."""
    errors: dict[str, str] = {}
    method = _choice(method, "method", ReplyMethod, errors, required=True)
    promised = _text(promised, "promised", errors)
    text = _text(text, "text", errors)
    if text and method and method != ReplyMethod.WRITTEN:
        errors["text"] = _("Only a written reply (letter, fax) has a text to confirm.")
    now = timezone.now()
    at = _moment(at, "at", errors, earliest=now - RECEIVED_SKEW, latest=now + REPLY_AT_MOST_AHEAD)
    if errors:
        raise ValidationError(errors)
    scheduled = at if (method != ReplyMethod.PHONE or urgent) else workdays.next_business_moment(at)
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.HANDLE.check(by, complaint)
        if not complaint.is_open:
            raise RuleBroken(_("This complaint is closed."))
        deadline = ladder.new_deadline(complaint, ComplaintDeadlineKind.REPLY, scheduled)
        reply = ComplaintReply.objects.create(
            complaint=complaint,
            method=method,
            requested_for=at,
            scheduled_for=scheduled,
            urgent=bool(urgent),
            promised=promised,
            text=text,
            deadline=deadline,
            created_by=by,
        )
        _log(
            complaint,
            ComplaintEventKind.REPLY,
            actor=by,
            text=promised,
            data={
                "reply": reply.pk,
                "method": method,
                "scheduled_for": scheduled.isoformat(),
                "moved_to_business_hours": scheduled != at,
            },
        )
    return reply


def _lock_reply(reply_id: int) -> tuple[Complaint, ComplaintReply]:
    """Lock a reply's complaint, then the reply (the order every writer uses). Inside a transaction."""
    complaint_id = ComplaintReply.objects.values_list("complaint_id", flat=True).get(pk=reply_id)
    complaint = _lock(complaint_id)
    return complaint, ComplaintReply.objects.select_for_update().get(pk=reply_id)


def _still_to_go(reply: ComplaintReply) -> None:
    if reply.done_at is not None:
        raise RuleBroken(_("This reply is already recorded."))


def _written_reply_to_go(reply_id: int, by, permission) -> tuple[Complaint, ComplaintReply]:
    """Inside a transaction: lock a written reply that has not gone yet, for someone `permission` admits."""
    complaint, reply = _lock_reply(reply_id)
    permission.check(by, complaint)
    if reply.method != ReplyMethod.WRITTEN:
        raise RuleBroken(_("Only a written reply (letter, fax) has a text to confirm."))
    _still_to_go(reply)
    return complaint, reply


def _reply_text(text: Any) -> str:
    errors: dict[str, str] = {}
    text = _text(text, "text", errors, required=True)
    if errors:
        raise ValidationError(errors)
    return text


def reply_text(reply_id: int, *, by, text: Any) -> ComplaintReply:
    """Write (or rewrite) the text of a written reply. A changed text must be confirmed again."""
    text = _reply_text(text)
    with transaction.atomic():
        complaint, reply = _written_reply_to_go(reply_id, by, access.HANDLE)
        if text == reply.text:
            return reply
        was_confirmed = reply.is_confirmed
        reply.text = text
        reply.save(update_fields=["text"])
        _log(
            complaint,
            ComplaintEventKind.REPLY,
            actor=by,
            text=text,
            data={"reply": reply.pk, "text_changed": True, "confirmation_lapsed": was_confirmed},
        )
    return reply


def confirm_reply(reply_id: int, *, by, text: Any) -> ComplaintReply:
    """A business manager (or higher) confirms a written reply before it goes (传真、信函回复时须经负责人
    确认): exactly the text they send here, which becomes the reply's text."""
    text = _reply_text(text)
    with transaction.atomic():
        complaint, reply = _written_reply_to_go(reply_id, by, access.CONFIRM_REPLY)
        if not complaint.is_open:
            raise RuleBroken(_("This complaint is closed."))
        changed = text != reply.text
        reply.text = reply.confirmed_text = text
        reply.confirmed_by = by
        reply.confirmed_at = timezone.now()
        reply.save(update_fields=["text", "confirmed_text", "confirmed_by", "confirmed_at"])
        _log(
            complaint,
            ComplaintEventKind.REPLY_CONFIRMED,
            actor=by,
            text=text,
            data={"reply": reply.pk, "text_changed": changed},
        )
    return reply


def record_reply(reply_id: int, *, by, given: Any = "") -> ComplaintReply:
    """The reply went out. A written reply goes only with the text a manager confirmed: its given
    text is that text (or, if sent, must be exactly it)."""
    errors: dict[str, str] = {}
    given = _text(given, "given", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint, reply = _lock_reply(reply_id)
        access.HANDLE.check(by, complaint)
        _still_to_go(reply)
        if reply.needs_confirmation:
            if not reply.is_confirmed:
                raise RuleBroken(
                    _(
                        "A written reply (letter, fax) goes only after a business manager or someone higher "
                        "has confirmed its text; changing the text needs confirming again."
                    ),
                    confirmed=False,
                )
            if given and given != reply.confirmed_text:
                raise RuleBroken(
                    _("This is not the text that was confirmed: have the new text confirmed first."),
                    confirmed=False,
                )
            given = reply.confirmed_text
        elif not given:
            raise ValidationError({"given": _("This field is required.")})
        reply.given = given
        reply.done_at = timezone.now()
        reply.save(update_fields=["given", "done_at"])
        if reply.deadline_id:
            ComplaintDeadline.objects.filter(pk=reply.deadline_id, state=ComplaintDeadlineState.PENDING).update(
                state=ComplaintDeadlineState.MET, met_at=reply.done_at
            )
            ladder.stop_deadline(reply.deadline_id)
        _log(complaint, ComplaintEventKind.REPLY, actor=by, text=given, data={"reply": reply.pk, "given": True})
    return reply


# --- Who the complaint is about ------------------------------------------------------------------


def set_complained_about(complaint_id: int, *, by, user: Any, note: Any = "") -> Complaint:
    """Say (or correct) which staff member the complaint is about; None: nobody. That person is
    kept off the case: if they handle it, it goes back to the queue of its level."""
    errors: dict[str, str] = {}
    user_id = _active_user_id(user, "user", errors)
    note = _text(note, "note", errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.NAME_COMPLAINED_ABOUT.check(by, complaint)
        if not complaint.is_open:
            raise RuleBroken(_("This complaint is closed."))
        if user_id == complaint.complained_about_id:
            return complaint
        before = complaint.complained_about_id
        complaint.complained_about_id = user_id
        removed = user_id is not None and complaint.handler_id == user_id
        if removed:
            complaint.handler = None
        complaint.save(update_fields=["complained_about", "handler"])
        named = get_user_model().objects.filter(pk=user_id).first() if user_id else None
        _log(
            complaint,
            ComplaintEventKind.COMPLAINED_ABOUT,
            actor=by,
            text=note,
            data={
                "user": person(named) if named else None,
                "before": before,
                "handler_removed": removed,
            },
        )
    return complaint


# --- Extending a resolution limit ----------------------------------------------------------------


def extend_resolution(complaint_id: int, *, by, days: Any, reason: Any) -> ComplaintDeadline:
    """Senior management extends the running resolution limit to `days` from receipt — in the
    complaint's profile's days and at most as far as that profile allows (banking and insurance:
    15 days, complex 30, at most 60 with senior approval). Its alarms are planned afresh."""
    errors: dict[str, str] = {}
    if isinstance(days, str) and days.strip().isascii() and days.strip().isdigit():
        days = int(days.strip())
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        errors["days"] = _("A whole number of days from receipt, from 1 to 365.")
    reason = _text(reason, "reason", errors, required=True)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.EXTEND.check(by, complaint)
        if not complaint.is_open:
            raise RuleBroken(_("This complaint is closed."))
        limits = ladder.limits_for(complaint)
        if not limits.extension_limit_days:
            raise RuleBroken(
                _("The time-limit profile “%(profile)s” allows no extension.") % {"profile": limits.name},
                profile=limits.name,
            )
        deadline = (
            ComplaintDeadline.objects.select_for_update()
            .filter(complaint=complaint, kind=ComplaintDeadlineKind.RESOLVE, state=ComplaintDeadlineState.PENDING)
            .first()
        )
        if deadline is None:
            raise RuleBroken(_("There is no running resolution limit to extend."))
        if days > limits.extension_limit_days:
            raise ValidationError(
                {
                    "days": _("At most %(n)d days from receipt under the profile “%(profile)s”.")
                    % {"n": limits.extension_limit_days, "profile": limits.name}
                }
            )
        due_at = ladder.extension_end(complaint, limits, days)
        if due_at <= deadline.due_at:
            raise ValidationError(
                {
                    "days": _("That is not later than the current limit (%(due)s).")
                    % {"due": timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")}
                }
            )
        before = deadline.due_at
        deadline.due_at = due_at
        deadline.save(update_fields=["due_at"])
        deadline.complaint = complaint
        ladder.plan_deadline(deadline, limits)
        _log(
            complaint,
            ComplaintEventKind.EXTENDED,
            actor=by,
            text=reason,
            data={
                "deadline": deadline.pk,
                "kind": deadline.kind,
                "from": before.isoformat(),
                "to": due_at.isoformat(),
                "days": days,
                "unit": limits.day_unit,
                "profile": limits.name,
            },
        )
    return deadline


# --- Attachments -----------------------------------------------------------------------------------


def attachment_error(upload: Any) -> tuple[str, str | None]:
    """(the file's own name, why it is not accepted or None): the one check that pages and the
    API share, made before anything is read from the file."""
    if not isinstance(upload, UploadedFile):
        return "", _("Attach a file.")
    name = (upload.name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:150]
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in ATTACHMENT_TYPES:
        types = " ".join(sorted(ATTACHMENT_TYPES))
        return name, _("Files of this type are not accepted; allowed: %(types)s.") % {"types": types}
    if not upload.size:
        return name, _("The file is empty.")
    limit = settings.CRISIS_COMPLAINT_MAX_ATTACHMENT_BYTES
    if upload.size > limit:
        return name, _("At most %(mb)d MB per file.") % {"mb": limit // 2**20}
    return name, None


def add_attachment(complaint_id: int, *, by, upload: Any) -> ComplaintAttachment:
    # Who may attach is settled before anything is said about the file.
    access.ATTACH.check(by, Complaint.objects.get(pk=complaint_id))
    name, error = attachment_error(upload)
    if error:
        raise ValidationError({"file": error})
    with transaction.atomic():
        complaint = _lock(complaint_id)
        access.ATTACH.check(by, complaint)  # again under the lock: the level may have moved
        if complaint.attachments.count() >= ATTACHMENTS_PER_COMPLAINT:
            raise RuleBroken(_("A complaint holds at most %(n)d attachments.") % {"n": ATTACHMENTS_PER_COMPLAINT})
        attachment = ComplaintAttachment(
            complaint=complaint,
            name=name,
            size=upload.size,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            uploaded_by=by,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        _log(complaint, ComplaintEventKind.ATTACHMENT, actor=by, data={"attachment": attachment.pk, "name": name})
    return attachment


def may_download(user, attachment: ComplaintAttachment) -> bool:
    return access.OPEN_ATTACHMENT(user, attachment)


def open_attachment(attachment: ComplaintAttachment, user, *, via: str):
    """The attachment's file, opened for reading by `user`. Attachments may hold personal details
    (a photo of a contract, a recording), so opening one is recorded as a view of the details."""
    access.OPEN_ATTACHMENT.check(user, attachment)
    handle = attachment.file.open("rb")  # FileNotFoundError when the file has gone from storage
    _record_view(attachment.complaint, user, via=f"{via}-file")
    return handle


# --- The board: complaint volume -------------------------------------------------------------------


def volume(*, days: int = 14, now: datetime | None = None, top_projects: int = 8) -> dict[str, Any]:
    """Complaints per day and category, and the busiest projects, over the last `days` days: a
    rising wave shows before it becomes a crisis."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    start_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(start_day, datetime.min.time()))
    recent = Complaint.objects.filter(received_at__gte=start)
    by_day = (
        recent.annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "category")
        .annotate(n=Count("pk"))
    )
    dates = [start_day + timedelta(days=i) for i in range(days)]
    series = {c: [0] * days for c in ComplaintCategory.values}
    for row in by_day:
        index = (row["day"] - start_day).days
        if 0 <= index < days and row["category"] in series:
            series[row["category"]][index] += row["n"]
    projects = list(
        recent.exclude(project="").values("project").annotate(n=Count("pk")).order_by("-n", "project")[:top_projects]
    )
    project_rows = []
    if projects:
        names = [p["project"] for p in projects]
        per_category = recent.filter(project__in=names).values("project", "category").annotate(n=Count("pk"))
        counts = {(r["project"], r["category"]): r["n"] for r in per_category}
        last_day = recent.filter(project__in=names, received_at__gte=now - timedelta(hours=24))
        recent_counts = dict(last_day.values("project").annotate(n=Count("pk")).values_list("project", "n"))
        for p in projects:
            project_rows.append(
                {
                    "project": p["project"],
                    "total": p["n"],
                    "last_24h": recent_counts.get(p["project"], 0),
                    "by_category": {c: counts.get((p["project"], c), 0) for c in ComplaintCategory.values},
                }
            )
    return {
        "days": [d.isoformat() for d in dates],
        "series": series,
        "totals": [sum(series[c][i] for c in series) for i in range(days)],
        "projects": project_rows,
    }
