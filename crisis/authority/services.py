"""The commands of reports to authorities. Each finds the incident (404 to whoever may not see it),
locks it, checks who may (those who may meet its deadlines), writes, and puts it on the timeline.

A report is written as a draft (pre-filled from the previous version, or from the company profile
and the incident), and submitted once: then every field art. 12 asks for must be there — a report
with a gap is refused naming each missing field (漏报 carries personal liability) — and the
submission meets the incident's earliest open duty to report to a regulator, with the authority,
the channel, the officer and the minute as evidence, late or not (迟报 is on the record)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import RuleBroken
from config.text import clean_text
from crisis.voice.models import CompanyProfile
from incidents import services as incident_services
from incidents.models import Deadline, DeadlineState, Incident, ReportChannel
from incidents.policy import MEET_DEADLINE
from incidents.services import get_visible_incident
from incidents.timeline import lock_incident, record
from playbooks.models import Audience, DeadlineNature

from .entries import ENTRY
from .models import ART12_FIELDS, OPTIONAL_FIELDS, AuthorityReport, ReportKind, ReportState

TEXT_FIELDS = {
    f.name: f.max_length or 10_000
    for f in AuthorityReport._meta.concrete_fields
    if f.get_internal_type() in ("CharField", "TextField") and f.name in [*ART12_FIELDS, "other"]
}
NUMBER_FIELDS = ("dead", "injured", "missing")
WRITABLE = [*ART12_FIELDS, "other", "kind"]


def missing_fields(report: AuthorityReport) -> list[str]:
    """The art. 12 fields still empty (a count of zero is an answer; nothing is not)."""
    missing = []
    for name in ART12_FIELDS:
        if name in OPTIONAL_FIELDS:
            continue
        value = getattr(report, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
    return missing


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in WRITABLE:
            continue
        if name in TEXT_FIELDS:
            try:
                cleaned[name] = clean_text(value or "", name, required=False, max_length=TEXT_FIELDS[name])
            except ValidationError as exc:
                errors[name] = exc.messages[0]
        elif name == "kind" and value not in ReportKind.values:
            errors[name] = _("Unknown kind of report.")
        elif name == "direct_loss" and value is not None and Decimal(value) < 0:
            errors[name] = _("A loss cannot be negative.")
        elif name == "occurred_at" and value is not None and value > timezone.now():
            errors[name] = _("It cannot have happened in the future.")
        else:
            cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _prefill(incident: Incident) -> dict[str, Any]:
    previous = AuthorityReport.objects.filter(incident=incident).order_by("-number").first()
    if previous is not None:  # a new version starts from the last one
        return {name: getattr(previous, name) for name in [*ART12_FIELDS, "other"]}
    profile = CompanyProfile.current()
    return {
        "company_name": profile.name_zh or profile.name_en,
        "company_address": profile.address_zh or profile.address_en,
        "occurred_at": incident.detected_at,
        "place": incident.location,
        "sequence": incident.summary,
    }


def create_report(incident_id: int, *, by, **fields: Any) -> AuthorityReport:
    """A new version, as a draft: a flash report first, follow-ups after."""
    cleaned = _clean(fields)
    get_visible_incident(incident_id, by)
    with transaction.atomic():
        incident = lock_incident(incident_id)
        MEET_DEADLINE.check(by, incident)
        reports = AuthorityReport.objects.filter(incident=incident)
        number = (reports.aggregate(n=Max("number"))["n"] or 0) + 1
        kind = cleaned.pop("kind", None) or (ReportKind.FLASH if number == 1 else ReportKind.FOLLOW_UP)
        report = AuthorityReport.objects.create(
            incident=incident, number=number, kind=kind, created_by=by, **{**_prefill(incident), **cleaned}
        )
        record(incident, ENTRY, actor=by, data=_entry(report, "drafted"))
    return report


def _locked(report_id: int, by) -> AuthorityReport:
    incident_id = AuthorityReport.objects.filter(pk=report_id).values_list("incident_id", flat=True).first()
    if incident_id is None:
        raise AuthorityReport.DoesNotExist
    get_visible_incident(incident_id, by)
    incident = lock_incident(incident_id)
    MEET_DEADLINE.check(by, incident)
    return AuthorityReport.objects.select_related("incident").get(pk=report_id)


def edit_report(report_id: int, *, by, **fields: Any) -> AuthorityReport:
    cleaned = _clean(fields)
    with transaction.atomic():
        report = _locked(report_id, by)
        if report.state != ReportState.DRAFT:
            raise RuleBroken(_("A submitted report is not changed: write a follow-up."), state=report.state)
        for name, value in cleaned.items():
            setattr(report, name, value)
        report.save()
    return report


def _open_reporting_duty(incident: Incident) -> Deadline | None:
    return (
        Deadline.objects.filter(
            incident=incident,
            audience=Audience.REGULATOR,
            nature=DeadlineNature.DUTY,
            state__in=[DeadlineState.PENDING, DeadlineState.BREACHED],
        )
        .order_by("due_at", "pk")
        .first()
    )


def submit_report(
    report_id: int, *, by, authority: str, channel: str, received_by: str = "", at: datetime | None = None
) -> AuthorityReport:
    """The report went to `authority` by `channel`, taken by `received_by`, at `at` (now by default)."""
    if channel == ReportChannel.STATEMENT:
        raise ValidationError({"channel": _("A report to an authority is not a published statement.")})
    with transaction.atomic():
        report = _locked(report_id, by)
        if report.state != ReportState.DRAFT:
            raise RuleBroken(_("This report is already submitted."), state=report.state)
        missing = missing_fields(report)
        if missing:
            labels = {f.name: str(f.verbose_name) for f in AuthorityReport._meta.fields}
            raise ValidationError(
                {
                    name: _("“%(field)s” is required in a report to an authority (art. 12).") % {"field": labels[name]}
                    for name in missing
                }
            )
        at = at or timezone.now()
        duty = _open_reporting_duty(report.incident)
        if duty is not None:
            incident_services.meet_deadline(
                duty.pk,
                by=by,
                evidence=_("%(kind)s no. %(n)s") % {"kind": report.get_kind_display(), "n": report.number},
                evidence_ref=f"authority-report:{report.pk}",
                channel=channel,
                authority=authority,
                received_by=received_by,
                reported_at=at,
            )
        else:  # no duty left open (a follow-up): the submission is checked the same way
            incident_services.check_report_channel(channel, authority, received_by, at)
        report.state = ReportState.SUBMITTED
        report.authority, report.channel, report.received_by = authority.strip(), channel, received_by.strip()
        report.submitted_at, report.submitted_by, report.deadline = at, by, duty
        report.save()
        # Meeting the deadline wrote to the timeline: record after it, on the row as it is now.
        record(lock_incident(report.incident_id), ENTRY, actor=by, data=_entry(report, "submitted"))
    return report


def is_late(report: AuthorityReport) -> bool:
    return bool(report.deadline and report.submitted_at and report.submitted_at > report.deadline.due_at)


def changes(before: AuthorityReport, after: AuthorityReport) -> list[dict[str, Any]]:
    """What a version changed against another: each field whose value differs."""
    labels = {f.name: str(f.verbose_name) for f in AuthorityReport._meta.fields}
    found = []
    for name in [*ART12_FIELDS, "other"]:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            found.append({"field": name, "label": labels[name], "before": old, "after": new})
    return found


def _entry(report: AuthorityReport, action: str) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, "report": report.pk, "number": report.number, "kind": report.kind}
    if action == "submitted":
        data.update(
            authority=report.authority,
            channel=report.channel,
            received_by=report.received_by,
            at=report.submitted_at.isoformat(),
            late=is_late(report),
        )
    return data
