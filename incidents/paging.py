"""Paging (issue 16): the right person learns of an incident at once, and someone answers.

Declaring an incident without a commander opens a Page: the commander on duty for its kind is
paged (and, at severity I–II, the executives are told). The page waits for an acknowledgement —
one click on the notification, or taking command. Unacknowledged after the escalation policy's
interval, the backup commander is paged, then the admins and executives: each rung is an alarm on
the clock (owner type `incidents.page`), so it fires exactly once, also across killed workers, and
an acknowledgement cancels what is left. Nobody is paged or told of their own action.

Everything here runs inside the calling service's transaction, under the incident's row lock;
`notify.send` delivers after commit, once per person and cause (a page's cause names the page and
the rung, so a retried transaction or a redelivered alarm cannot page twice).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .alarms import lock_owner_incident
from .clock import alarms as clock
from .clock.models import Alarm
from .clock.registry import OwnerType
from .models import (
    EntryKind,
    EscalationPolicy,
    Incident,
    Page,
    PageState,
    PageStep,
    Severity,
)
from .notify import delivery as notify
from .notify import texts
from .oncall import roster
from .timeline import display_name, lock_incident, person, record

TOPIC = "incident"
PAGE = "incidents.page"  # the clock's owner type: one escalation alarm per rung still ahead
ESCALATE = "escalate"
EXECUTIVE_SEVERITIES = (Severity.CRITICAL, Severity.MAJOR)

# --- What the notifications say -----------------------------------------------------------------------

PAGED_TEXTS = (
    _("Incident declared: %(title)s"),
    _(
        "%(kind)s, severity %(severity)s, declared by %(by)s. You are on duty as commander: acknowledge "
        "this page, open the war room and take command, or hand it on. %(url)s"
    ),
)
INFORMED_TEXTS = (
    _("Incident declared: %(title)s"),
    _("%(kind)s, severity %(severity)s, declared by %(by)s. %(url)s"),
)
UNACKNOWLEDGED_TEXTS = (
    _("Unanswered page: %(title)s"),
    _(
        "Nobody has acknowledged the page for this incident (%(kind)s, severity %(severity)s) for "
        "%(minutes)s minutes, and it has no commander. You are paged as %(rung)s: acknowledge, open "
        "the war room and take command. %(url)s"
    ),
)
COMMAND_TEXTS = (
    _("You command: %(title)s"),
    _("%(by)s handed you command of this incident. %(url)s"),
)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    try:
        rung = str(PageStep(data.get("step")).label)
    except ValueError:
        rung = ""
    return {
        "title": data.get("incident_title", ""),
        "kind": data.get("kind_label", data.get("kind", "")),
        "severity": data.get("severity", ""),
        "by": data.get("by", ""),
        "url": f"/incidents/{data.get('incident_id', '')}/",
        "minutes": data.get("waited_minutes", ""),
        "rung": rung.lower() if rung else "",
    }


def register_texts() -> None:
    paged = texts.formatted(*PAGED_TEXTS, _values)
    informed = texts.formatted(*INFORMED_TEXTS, _values)
    texts.register(TOPIC, "incident_declared", lambda data: paged(data) if data.get("paged") else informed(data))
    texts.register_each(
        TOPIC, {"page_unacknowledged": UNACKNOWLEDGED_TEXTS, "command_handed_to_you": COMMAND_TEXTS}, _values
    )


def _data(incident: Incident, by, **extra: Any) -> dict[str, Any]:
    return {
        "incident_id": incident.pk,
        "incident_title": incident.title,
        "kind": incident.kind,
        "kind_label": str(incident.get_kind_display()),
        "severity": incident.severity,
        "by": display_name(by) if by is not None else "",
        **extra,
    }


# --- Who is paged at each rung --------------------------------------------------------------------------


def _active_in_groups(*names: str) -> set:
    users = get_user_model().objects.filter(is_active=True, groups__name__in=names)
    return set(users.distinct())


def _executives() -> set:
    return _active_in_groups(settings.CRISIS_GROUP_EXECUTIVES)


def _rung(incident: Incident, step: int) -> set:
    """Who a rung pages, read from the roster when the rung is reached (duty may have changed)."""
    if step == PageStep.EVERYONE:
        return _active_in_groups(settings.CRISIS_GROUP_ADMINS, settings.CRISIS_GROUP_EXECUTIVES)
    on_duty, backup = roster.commanders_on_duty(incident.kind)
    chosen = on_duty if step == PageStep.ON_DUTY else backup
    return {chosen} if chosen is not None and chosen.is_active else set()


def ack_window(severity: int) -> timedelta:
    """How long a page waits at one rung before the next is paged (the admins' policy, or the default)."""
    policy = EscalationPolicy.objects.filter(severity=severity).values_list("ack_within", flat=True).first()
    if policy is not None:
        return policy
    return timedelta(minutes=settings.CRISIS_PAGE_ACK_MINUTES.get(severity, 15))


def _escalation_alarm(page: Page, incident: Incident, now) -> None:
    alarm = Alarm(owner_type=PAGE, owner_id=page.pk, kind=ESCALATE, fire_at=now + ack_window(incident.severity))
    clock.schedule([alarm])


def _incident_ref(incident: Incident) -> dict[str, Any]:
    return {"id": incident.pk, "title": incident.title, "kind": incident.kind, "severity": incident.severity}


def _page(
    page: Page,
    incident: Incident,
    step: int,
    recipients: set,
    *,
    by,
    event: str,
    webhook: dict[str, Any] | None,
    **data: Any,
) -> None:
    page.step = step
    page.paged_users = sorted({*page.paged_users, *(u.pk for u in recipients)})
    notify.send(
        event=event,
        recipients=recipients,
        data=_data(incident, by, step=step, paged=True, **data),
        topic=(TOPIC, incident.pk),
        cause=f"page:{page.pk}:{step}",
        needs_ack=True,
        urgent=incident.severity in EXECUTIVE_SEVERITIES,  # through quiet hours
        webhook=webhook,
    )
    record(
        incident,
        EntryKind.PAGED,
        data={
            "page": page.pk,
            "step": step,
            "event": event,
            "recipients": [person(u) for u in sorted(recipients, key=lambda u: u.pk)],
        },
    )


# --- The use cases (inside the calling service's transaction, under the incident's lock) -------------


def incident_declared(incident: Incident, *, by) -> Page | None:
    """Page the commander on duty for the incident's kind — unless a commander was named at
    once — and tell the executives of a severity I–II incident. A commander on duty who declared
    the incident themselves knows it: their page is acknowledged at once and does not escalate."""
    executives = (_executives() if incident.severity in EXECUTIVE_SEVERITIES else set()) - {by}
    webhook: dict[str, Any] | None = {"event": "incident.declared", "incident": _incident_ref(incident)}
    page = None
    if incident.commander_id is None:
        page = Page.objects.create(incident=incident, created_at=timezone.now())
        step = PageStep.ON_DUTY
        while True:
            recipients = _rung(incident, step)
            if by in recipients and step < PageStep.EVERYONE:
                _acknowledge(page, incident, by=by, via="declared")  # the commander on duty declared it
                recipients = set()
                break
            recipients -= {by}
            if recipients or step == PageStep.EVERYONE:
                break
            step += 1  # nobody on duty (or no backup): the next rung at once
        if recipients:
            _page(page, incident, step, recipients, by=by, event="incident_declared", webhook=webhook)
            webhook = None  # one announcement per declaration
            executives -= recipients
        if step < PageStep.EVERYONE and page.state == PageState.OPEN:
            _escalation_alarm(page, incident, page.created_at)
        page.save()
    if executives or webhook is not None:
        notify.send(
            event="incident_declared",
            recipients=executives,
            data=_data(incident, by),
            topic=(TOPIC, incident.pk),
            cause=f"declared:{incident.pk}",
            webhook=webhook,
        )
    return page


def _acknowledge(page: Page, incident: Incident, *, by, via: str) -> None:
    now = timezone.now()
    page.state = PageState.ACKNOWLEDGED
    page.acknowledged_at = now
    page.acknowledged_by = by
    page.acknowledged_via = via
    page.save()
    clock.cancel(PAGE, page.pk)
    if via != "declared":
        record(
            incident,
            EntryKind.PAGE_ACKNOWLEDGED,
            actor=by,
            data={
                "page": page.pk,
                "step": page.step,
                "via": via,
                "after_seconds": round((now - page.created_at).total_seconds(), 1),
            },
        )


def _open_page(incident: Incident) -> Page | None:
    return Page.objects.select_for_update().filter(incident=incident, state=PageState.OPEN).first()


def command_taken(incident: Incident, *, to, by, assignment_id: int) -> None:
    """Taking command answers the page; a new commander is told, unless they took it themselves."""
    page = _open_page(incident)
    if page is not None:
        _acknowledge(page, incident, by=to, via="command")
    if to is None or to == by:
        return
    notify.send(
        event="command_handed_to_you",
        recipients=[to],
        data=_data(incident, by),
        topic=(TOPIC, incident.pk),
        cause=f"command:{assignment_id}",
    )


def incident_ended(incident: Incident) -> None:
    """A closed or stood-down incident pages nobody any more."""
    page = _open_page(incident)
    if page is not None:
        page.state = PageState.CALLED_OFF
        page.called_off_at = timezone.now()
        page.save()
        clock.cancel(PAGE, page.pk)


def acknowledge_notification(notification, user) -> None:
    """Registered with notify for causes "page:<page>:<rung>": acknowledging a page's notification
    acknowledges the page. Locks the incident, then the page (the order of every incident writer)."""
    try:
        page_id = int(notification.cause.split(":")[1])
    except (IndexError, ValueError):
        return
    incident_id = Page.objects.filter(pk=page_id).values_list("incident_id", flat=True).first()
    if incident_id is None:
        return
    incident = lock_incident(incident_id)
    page = Page.objects.select_for_update().filter(pk=page_id, state=PageState.OPEN).first()
    if incident is not None and page is not None:
        _acknowledge(page, incident, by=user, via="notification")


# --- When an escalation alarm goes off ---------------------------------------------------------------


def _lock_page(page_id: int, skip_locked: bool) -> tuple[Incident, Page]:
    incident_id = Page.objects.filter(pk=page_id).values_list("incident_id", flat=True).first()
    return lock_owner_incident(incident_id, skip_locked), Page.objects.get(pk=page_id)


def _escalate(context: tuple[Incident, Page], alarm: Alarm) -> None:
    """Unacknowledged after the interval: page the next rung that has anyone, exactly once."""
    incident, page = context
    if page.state != PageState.OPEN or not incident.is_open or incident.commander_id is not None:
        return
    waited = round((alarm.handled_at - (page.escalated_at or page.created_at)).total_seconds() / 60)
    already = set(page.paged_users)
    step, recipients = page.step, set()
    while not recipients and step < PageStep.EVERYONE:
        step += 1
        recipients = {u for u in _rung(incident, step) if u.pk not in already}
    page.escalated_at = alarm.handled_at
    if recipients:
        webhook = {"event": "incident.paged", "incident": _incident_ref(incident), "step": PageStep(step).name.lower()}
        _page(
            page,
            incident,
            step,
            recipients,
            by=None,
            event="page_unacknowledged",
            webhook=webhook,
            waited_minutes=max(waited, 1),
        )
    else:
        page.step = step
    if page.step < PageStep.EVERYONE:
        _escalation_alarm(page, incident, alarm.handled_at)
    page.save()


OWNER_TYPES = (
    OwnerType(
        PAGE,
        _lock_page,
        _escalate,
        label=_("page that waits for an answer"),
        kinds=((ESCALATE, _("page the next rung")),),
    ),
)
