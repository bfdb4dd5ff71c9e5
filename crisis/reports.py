"""Periodic summaries (每周/每月总结): each finished week (Monday to Sunday) and month gets a report
made on schedule and sent to admins and executives — in the console, and by e-mail with the
spreadsheet attached — and anyone who may see the statistics can make one for any period.

The schedule is an hourly beat task that makes whatever finished period has no report yet: the
database's unique constraint, not the scheduler, guarantees one report per period (two beats, a
restart or a retried task make nothing twice), and a beat that was down catches up when it returns.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import RuleBroken
from incidents.notify import delivery as notify
from incidents.notify import texts

from .metrics import Period, complaint_metrics, incident_metrics
from .metrics_api import SEE_STATISTICS
from .metrics_api import workbook as figures_workbook
from .models import PeriodicReport, ReportPeriod

TOPIC = "crisis.report"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def finished_periods(today: date) -> list[tuple[str, Period]]:
    """The last whole week (Monday to Sunday) and the last whole month before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return [
        (ReportPeriod.WEEK, Period(this_monday - timedelta(days=7), this_monday - timedelta(days=1))),
        (ReportPeriod.MONTH, Period(last_month_end.replace(day=1), last_month_end)),
    ]


def _snapshot(kind: str, period: Period, by=None) -> PeriodicReport:
    return PeriodicReport.objects.create(
        period=kind,
        starts_on=period.first,
        ends_on=period.last,
        incidents=incident_metrics(period),
        complaints=complaint_metrics(period),
        generated_by=by,
    )


def readers() -> list:
    """Who receives the scheduled reports: everyone who may see the statistics."""
    people = get_user_model().objects.filter(is_active=True).order_by("pk")
    return [user for user in people if SEE_STATISTICS(user)]


def make_due_reports(now: datetime | None = None) -> list[PeriodicReport]:
    """Make (and send) every finished week's and month's report that does not exist yet."""
    today = timezone.localdate(now or timezone.now())
    made = []
    for kind, period in finished_periods(today):
        if PeriodicReport.objects.filter(period=kind, starts_on=period.first).exists():
            continue
        try:
            with transaction.atomic():
                report = _snapshot(kind, period)
                notify.send(
                    event="report_ready",
                    recipients=readers(),
                    data=report_data(report),
                    topic=(TOPIC, report.pk),
                    cause=f"report:{report.pk}",
                )
        except IntegrityError:  # another beat or worker made it a moment ago: one report per period
            continue
        made.append(report)
    return made


def make_report(period: Period, *, by) -> PeriodicReport:
    """A report for any period, on demand (kept, not sent: the person who asked is looking at it)."""
    SEE_STATISTICS.check(by)
    if (period.last - period.first).days > 3660:
        raise RuleBroken(_("A report covers at most ten years."))
    return _snapshot(ReportPeriod.CHOSEN, period, by=by)


def report_data(report: PeriodicReport) -> dict[str, Any]:
    return {
        "id": report.pk,
        "period": report.period,
        "from": report.starts_on.isoformat(),
        "to": report.ends_on.isoformat(),
        "incidents": report.incidents.get("count", 0),
        "complaints": report.complaints.get("count", 0),
    }


def workbook(report: PeriodicReport) -> bytes:
    """The report as a spreadsheet: one sheet of incident figures, one of complaint figures (each
    names its period in its first rows, as the API's downloads do)."""
    return figures_workbook([(_("Incidents"), report.incidents), (_("Complaints"), report.complaints)])


def file_name(report: PeriodicReport) -> str:
    return f"report-{report.period}-{report.starts_on.isoformat()}-{report.ends_on.isoformat()}.xlsx"


def _attachment(report_id: int, language: str) -> notify.Attachment | None:
    report = PeriodicReport.objects.filter(pk=report_id).first()
    if report is None:
        return None
    with translation.override(language):
        return file_name(report), workbook(report), XLSX


def register() -> None:
    """Called from CrisisConfig.ready: the words of the message, its link and its attachment."""
    texts.register_each(
        TOPIC,
        {
            "report_ready": (
                gettext_lazy("%(period)s report, %(from)s to %(to)s"),
                gettext_lazy(
                    "%(period)s summary from %(from)s to %(to)s is ready: %(incidents)s incidents, "
                    "%(complaints)s complaints. The figures are attached as a spreadsheet."
                ),
            )
        },
        lambda data: {**data, "period": ReportPeriod(data["period"]).label},
    )
    texts.register_link(TOPIC, lambda pk: f"/statistics/reports/{pk}/")
    notify.register_attachment(TOPIC, _attachment)
