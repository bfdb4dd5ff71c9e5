"""Escalation into a crisis: the rules admins edit, applied in the intake's own transaction.

The first enabled rule (by order) that matches a new complaint decides. It opens an incident of
its kind of crisis with that kind's published playbook, or, when one it opened for the same
project is still open, attaches the complaint to it. Either way the incident's timeline links the
complaint.

Exactly one incident under concurrent intake: escalations for the same (kind of crisis, project)
queue on the lock of one EscalationLatch row, and the repeat rule counts the wave only while it
holds that lock, so of five complaints arriving at the same instant exactly one sees the count
reach the threshold, opens the incident and records it on the latch; the others find it there.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .. import services as incident_services
from ..models import OPEN_STATUSES, Incident
from ..timeline import lock_incident, record
from . import journal
from .journal import log as _log
from .models import Complaint, ComplaintCategory, ComplaintEventKind, EscalationLatch, EscalationRule, Trigger


def _matches_now(rule: EscalationRule, complaint: Complaint) -> bool:
    """Triggers that need no counting."""
    if rule.trigger == Trigger.VIP:
        return bool(set(complaint.vip) & set(rule.vip_flags or []))
    if rule.trigger == Trigger.INJURY:
        return complaint.injury_risk
    if rule.trigger == Trigger.ONLINE:
        return complaint.online_spread
    if rule.trigger == Trigger.MASS:
        return complaint.mass_complaint
    return False


def _latch(rule: EscalationRule, complaint: Complaint) -> EscalationLatch | None:
    """Lock (creating if need be) the latch for this kind of crisis at this project."""
    if not complaint.project:
        return None
    key = f"{rule.crisis_kind}|{complaint.project}"
    EscalationLatch.objects.bulk_create([EscalationLatch(key=key)], ignore_conflicts=True)
    return EscalationLatch.objects.select_for_update().get(key=key)


def _wave(rule: EscalationRule, complaint: Complaint):
    """Complaints of this category at this project received in the window before this one, and any
    since: no upper bound, because a complaint that committed first may carry a later receipt time
    than one still waiting for the lock, and every committed complaint must count."""
    since = complaint.received_at - timedelta(hours=rule.window_hours)
    return Complaint.objects.filter(project=complaint.project, category=complaint.category, received_at__gt=since)


def apply(complaint: Complaint, *, by) -> Incident | None:
    """Escalate `complaint` if a rule says so. Runs inside the intake's transaction."""
    for rule in EscalationRule.objects.filter(enabled=True).order_by("order", "pk"):
        if rule.trigger == Trigger.REPEAT:
            if not complaint.project:
                continue
            latch = _latch(rule, complaint)
            wave = _wave(rule, complaint)
            count = wave.count()
            if count < rule.threshold:
                continue
            return _escalate(rule, complaint, latch, by=by, count=count, wave=wave)
        if _matches_now(rule, complaint):
            return _escalate(rule, complaint, _latch(rule, complaint), by=by)
    return None


def _title(rule: EscalationRule, complaint: Complaint) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Complaint escalation: %(rule)s — %(project)s (%(category)s)") % {
            "rule": rule.name,
            "project": complaint.project or complaint.get_channel_display(),
            "category": ComplaintCategory(complaint.category).label,
        }


def _escalate(
    rule: EscalationRule,
    complaint: Complaint,
    latch: EscalationLatch | None,
    *,
    by,
    count: int | None = None,
    wave=None,
) -> Incident:
    trigger = {"rule": rule.pk, "trigger": rule.trigger, "complaint": complaint.pk}
    incident = None
    if latch is not None and latch.incident_id is not None:
        incident = Incident.objects.filter(pk=latch.incident_id, status__in=OPEN_STATUSES).first()
    opened = incident is None
    if opened:
        incident = incident_services.declare_incident(
            by=by,
            kind=rule.crisis_kind,
            severity=rule.severity,
            title=_title(rule, complaint)[:200],
            summary=complaint.description[:2000],
            location=complaint.project,
            detected_at=complaint.received_at,
            trigger=trigger,
            triage=rule.opens_in_triage,
        )
        if latch is not None:
            latch.incident = incident
            latch.save(update_fields=["incident", "updated_at"])
    complaint.incident = incident
    complaint.escalation_rule = rule
    complaint.save(update_fields=["incident", "escalation_rule"])
    # A wave is the incident's cause as a whole: the earlier complaints of it that no incident holds
    # yet join with the one that reached the threshold, so the commander sees every one of them.
    earlier = []
    if wave is not None:
        earlier = list(wave.filter(incident__isnull=True).exclude(pk=complaint.pk).order_by("received_at", "pk"))
        for other in earlier:
            other.incident, other.escalation_rule = incident, rule
            _log(
                other,
                ComplaintEventKind.INCIDENT,
                actor=by,
                data={"incident": incident.pk, "opened": False, "rule": rule.pk, "trigger": rule.trigger},
            )
        Complaint.objects.bulk_update(earlier, ["incident", "escalation_rule"])
    locked = lock_incident(incident.pk)
    record(
        locked,
        journal.ENTRY_KIND,
        actor=by,
        data={
            "action": "opened" if opened else "joined",
            "complaint": complaint.pk,
            "rule": rule.pk,
            "trigger": rule.trigger,
            "channel": complaint.channel,
            "category": complaint.category,
            "project": complaint.project,
            "vip": complaint.vip,
            **({"wave": count} if count is not None else {}),
            **({"wave_complaints": [other.pk for other in earlier]} if earlier else {}),
        },
    )
    _log(
        complaint,
        ComplaintEventKind.INCIDENT,
        actor=by,
        data={"incident": incident.pk, "opened": opened, "rule": rule.pk, "trigger": rule.trigger},
    )
    return incident
