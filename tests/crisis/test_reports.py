"""Periodic reports (issue 18): each finished week and month gets exactly one report, sent to those
who may see the statistics — in the console and by e-mail with the spreadsheet attached, in each
reader's language — and anyone of them can make one for any period; nobody else sees them."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone
from openpyxl import load_workbook

from crisis import reports
from crisis.metrics import Period
from crisis.models import PeriodicReport
from incidents.notify import delivery
from incidents.notify.models import Notification, NotificationPreference
from tests import factories

pytestmark = pytest.mark.django_db

# A Wednesday: the last finished week is 30 Nov – 6 Dec, the last finished month November.
WEDNESDAY = timezone.make_aware(datetime(2026, 12, 9, 8, 30))


def declared_on(commander, day: date, **values):
    incident = factories.declare(commander, commander=commander, **values)
    at = timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=10)
    type(incident).objects.filter(pk=incident.pk).update(declared_at=at, detected_at=at - timedelta(minutes=5))
    return incident


def test_the_finished_week_and_month_before_a_day():
    assert reports.finished_periods(date(2026, 12, 9)) == [
        ("week", Period(date(2026, 11, 30), date(2026, 12, 6))),
        ("month", Period(date(2026, 11, 1), date(2026, 11, 30))),
    ]
    # On a Monday and on the first of a month, the one that ended yesterday.
    assert reports.finished_periods(date(2027, 3, 1)) == [
        ("week", Period(date(2027, 2, 22), date(2027, 2, 28))),
        ("month", Period(date(2027, 2, 1), date(2027, 2, 28))),
    ]


def test_each_finished_period_gets_one_report_sent_to_admins_and_executives(admin, commander, executive, responder):
    declared_on(commander, date(2026, 12, 2))  # in the week and (not) in November
    declared_on(commander, date(2026, 11, 10))  # November only
    declared_on(commander, date(2026, 12, 3), exercise=True)  # never counts
    declared_on(commander, date(2026, 12, 8))  # this week: not finished
    NotificationPreference.objects.create(user=executive, email=True, language="en")
    NotificationPreference.objects.create(user=admin, email=True, language="zh-hans")

    made = reports.make_due_reports(WEDNESDAY)
    week, month = sorted(made, key=lambda r: r.period, reverse=True)
    assert (week.period, week.starts_on, week.ends_on, week.incidents["count"]) == (
        "week",
        date(2026, 11, 30),
        date(2026, 12, 6),
        1,
    )
    assert (month.period, month.incidents["count"]) == ("month", 1)
    # Run again (the next hour, another beat): nothing new is made or sent.
    sent = Notification.objects.count()
    assert reports.make_due_reports(WEDNESDAY + timedelta(hours=1)) == []
    assert PeriodicReport.objects.count() == 2 and Notification.objects.count() == sent

    told = Notification.objects.filter(topic_type="crisis.report", topic_id=week.pk)
    assert set(told.values_list("recipient__username", flat=True)) == {admin.username, executive.username}
    assert told.filter(recipient=responder).count() == 0
    english = told.get(recipient=executive, channel="email")
    assert english.subject == "Weekly report, 2026-11-30 to 2026-12-06"
    assert delivery.deliver(english.pk)
    message = mail.outbox[-1]
    assert message.to == [executive.email]
    name, content, mimetype = message.attachments[0]
    assert name == "report-week-2026-11-30-2026-12-06.xlsx" and mimetype == reports.XLSX
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Incidents", "Complaints"]
    assert ["count", 1] in [[c.value for c in row] for row in book["Incidents"].iter_rows()]
    chinese = told.get(recipient=admin, channel="email")
    assert "每周" in chinese.subject
    assert delivery.deliver(chinese.pk)
    assert load_workbook(io.BytesIO(mail.outbox[-1].attachments[0][1])).sheetnames == ["事件", "投诉"]


def test_the_database_keeps_one_scheduled_report_per_period(commander):
    period = Period(date(2026, 11, 30), date(2026, 12, 6))
    reports._snapshot("week", period)
    with pytest.raises(IntegrityError):
        reports._snapshot("week", period)


def test_a_report_for_any_period_on_the_page(client, admin, responder, commander):
    declared_on(commander, date(2026, 10, 15))
    client.force_login(responder)
    assert client.get("/statistics/reports/").status_code == 403
    assert client.post("/statistics/reports/", {"start": "2026-10-01", "end": "2026-10-31"}).status_code == 403
    client.force_login(admin)
    reversed_period = client.post("/statistics/reports/", {"start": "2026-10-31", "end": "2026-10-01"})
    assert reversed_period.status_code == 400 and "starts after it ends" in reversed_period.content.decode()
    garbage = client.post("/statistics/reports/", {"start": "yesterday", "end": ""})
    assert garbage.status_code == 400 and not PeriodicReport.objects.exists()
    made = client.post("/statistics/reports/", {"start": "2026-10-01", "end": "2026-10-31"})
    report = PeriodicReport.objects.get()
    assert made["Location"] == f"/statistics/reports/{report.pk}/"
    assert (report.period, report.generated_by, report.incidents["count"]) == ("chosen", admin, 1)
    page = client.get(made["Location"]).content.decode()
    assert 'id="incident-count">1<' in page and 'id="report-title"' in page
    listing = client.get("/statistics/reports/").content.decode()
    assert f"/statistics/reports/{report.pk}/" in listing
    download = client.get(f"/statistics/reports/{report.pk}/report.xlsx")
    assert download["Content-Type"] == reports.XLSX
    assert ["count", 1] in [
        [c.value for c in row] for row in load_workbook(io.BytesIO(download.content))["Incidents"].iter_rows()
    ]
    client.force_login(responder)
    assert client.get(f"/statistics/reports/{report.pk}/").status_code == 403
    assert client.get(f"/statistics/reports/{report.pk}/report.xlsx").status_code == 403
