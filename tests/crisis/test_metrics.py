"""Statistics (issue 18): over a fixture set with known times, every figure equals the one worked
out by hand here; exercises and incidents outside the period never count; only admins and
executives see them; the downloads hold the same figures."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from incidents.complaints.models import ComplaintDeadline, ComplaintEvent
from incidents.models import Deadline, RoleAssignment
from tests import factories
from tests.incidents.complaint_helpers import handler_user, log, no_rules

pytestmark = pytest.mark.django_db


def declared(commander, *, minutes_to_commander, exercise=False, kind="site_safety", severity=2, days_ago=1):
    detected = timezone.now() - timedelta(days=days_ago, hours=2)
    incident = factories.declare(
        commander, commander=commander, detected_at=detected, exercise=exercise, kind=kind, severity=severity
    )
    RoleAssignment.objects.filter(incident=incident).update(
        started_at=detected + timedelta(minutes=minutes_to_commander)
    )
    if days_ago > 1:
        type(incident).objects.filter(pk=incident.pk).update(declared_at=detected + timedelta(minutes=1))
    return incident


def duty(incident, state, *, late=False):
    due = incident.detected_at + timedelta(minutes=60)
    met = due + timedelta(minutes=15 if late else -15)
    return Deadline.objects.create(
        incident=incident, audience="regulator", title_zh="报告", title_en="Report", due_at=due, state=state,
        met_at=met if state == "met" else None, breached_at=due if state == "breached" else None,
    )  # fmt: skip


@pytest.fixture
def incidents(commander):
    a = declared(commander, minutes_to_commander=10)
    b = declared(commander, minutes_to_commander=20, kind="online_outrage", severity=3)
    c = declared(commander, minutes_to_commander=40)
    declared(commander, minutes_to_commander=1, exercise=True)  # a drill: never counts
    declared(commander, minutes_to_commander=1, days_ago=90)  # before the period
    duty(a, "met")
    duty(a, "met", late=True)
    duty(b, "breached")
    duty(c, "waived")
    return a, b, c


def test_incident_figures_equal_those_worked_out_by_hand(api, executive, incidents):
    answer = api.as_user(executive).get("/api/metrics/incidents/")
    assert answer.status_code == 200, answer.content
    figures = answer.json()
    assert figures["count"] == 3
    assert figures["time_to_commander_min"] == {"p50": 20, "p90": 40}  # 10, 20, 40 by nearest rank
    assert figures["deadlines_met_on_time_pct"] == 33.3  # one on time of three that came due (waived aside)
    assert figures["deadlines_came_due"] == 3
    assert figures["time_to_authority_report_min"] == {"p50": 45, "p90": 45}  # a's first report, 45 min
    assert figures["by_kind"] == {"online_outrage": 1, "site_safety": 2}
    assert figures["by_severity"] == {"2": 2, "3": 1}
    only = api.as_user(executive).get("/api/metrics/incidents/?kind=online_outrage").json()
    assert only["count"] == 1 and only["time_to_commander_min"] == {"p50": 20, "p90": 20}
    assert api.as_user(executive).get("/api/metrics/incidents/?severity=2").json()["count"] == 2


def test_complaint_figures_equal_those_worked_out_by_hand(api, admin):
    no_rules()
    handler = handler_user(username="handler-m")
    first, second, third = (log(handler, channel=c) for c in ("hotline", "hotline", "wechat"))
    first.__class__.objects.filter(pk=first.pk).update(satisfaction=5, handler=handler, root_cause_category="design")
    second.__class__.objects.filter(pk=second.pk).update(satisfaction=3, root_cause_category="design")
    third.__class__.objects.filter(pk=third.pk).update(root_cause_category="sales_promise")
    acks = ComplaintDeadline.objects.filter(kind="acknowledge", complaint__in=[first, second, third]).order_by(
        "complaint"
    )
    ack1, ack2, _still_pending = list(acks)
    ComplaintDeadline.objects.filter(pk=ack1.pk).update(state="met", met_at=ack1.due_at - timedelta(hours=1))
    ComplaintDeadline.objects.filter(pk=ack2.pk).update(state="breached", breached_at=ack2.due_at)
    ComplaintEvent.objects.create(complaint=third, kind="escalated", level=1, state=third.state)
    figures = api.as_user(admin).get("/api/metrics/complaints/").json()
    assert figures["count"] == 3
    assert figures["by_channel"] == {"hotline": 2, "wechat": 1}
    assert figures["acknowledged_in_time_pct"] == 50.0  # one of the two decided (the third still pending)
    assert figures["satisfaction_avg"] == 4.0 and figures["satisfaction"] == {"3": 1, "5": 1}
    assert figures["ladder_climbs"] == 1
    assert figures["by_handler"] == {"handler-m": 1}
    assert figures["by_root_cause"] == {"design": 2, "sales_promise": 1}


def test_only_admins_and_executives_see_statistics_and_bad_periods_are_refused(api, commander, executive):
    assert api.as_user(commander).get("/api/metrics/incidents/").status_code == 403
    assert api.as_user(commander).get("/api/metrics/complaints/").status_code == 403
    client = api.as_user(executive)
    assert client.get("/api/metrics/incidents/?from=2026-13-01").status_code == 400
    assert client.get("/api/metrics/incidents/?from=2026-12-07&to=2026-12-01").status_code == 400
    assert client.get("/api/metrics/incidents/?from=1999-12-31").status_code == 400
    assert client.get("/api/metrics/incidents/?to=9999-12-31").status_code == 400
    assert client.get("/api/metrics/incidents/?from=2026-01-01&to=2030-01-01").status_code == 200  # years at once
    assert client.get("/api/metrics/incidents/?kind=volcano").status_code == 400
    assert client.get("/api/metrics/incidents/?severity=9").status_code == 400
    assert client.get("/api/metrics/incidents/?format=pdf").status_code == 400


def test_the_downloads_hold_the_same_figures(api, executive, incidents):
    client = api.as_user(executive)
    xlsx = client.get("/api/metrics/incidents/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["count"] == 3 and values["time_to_commander_min.p90"] == 40
    text = client.get("/api/metrics/incidents/?format=csv").content.decode("utf-8-sig")
    found = dict(csv.reader(io.StringIO(text)))
    assert found["count"] == "3" and found["deadlines_met_on_time_pct"] == "33.3"


def test_the_statistics_page_shows_the_figures_to_those_who_may(client, commander, executive, incidents):
    client.force_login(commander)
    assert client.get("/statistics/").status_code == 403
    assert 'id="statistics-link"' not in client.get("/").content.decode()
    client.force_login(executive)
    assert 'id="statistics-link"' in client.get("/").content.decode()
    page = client.get("/statistics/").content.decode()
    assert 'id="incident-count">3<' in page
    main = page.split("<main")[1].split("</main>")[0]
    assert main.count('src="data:image/svg+xml;base64,') >= 1 and "<script" not in main  # charts run no script
    assert "format=xlsx" in page and "format=csv" in page
    bad = client.get("/statistics/?start=2026-12-09&end=2026-12-01")
    assert bad.status_code == 200 and "The period starts after it ends." in bad.content.decode()


def test_a_refused_download_is_told_in_json(api, commander):
    answer = api.as_user(commander).get("/api/metrics/incidents/?format=csv")
    assert answer.status_code == 403 and answer["Content-Type"].startswith("application/json")
    assert "Only admins and executives" in answer.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_page_computes_its_halves_side_by_side_with_the_same_figures():
    from crisis import statistics_views
    from tests.factories import commander_user, exec_user

    commander = commander_user(username="cmd-side")
    for minutes in (4, 9):
        declared(commander, minutes_to_commander=minutes)
    handler = handler_user(username="handler-side")
    no_rules()
    for channel in ("hotline", "wechat", "hotline"):
        log(handler, channel=channel)
    threads = []
    original = statistics_views._in_own_connection
    statistics_views._in_own_connection = lambda compute: threads.append(1) or original(compute)
    try:
        client = Client()
        client.force_login(exec_user(username="exec-side"))
        page = client.get("/statistics/").content.decode()
    finally:
        statistics_views._in_own_connection = original
    assert threads == [1]  # the complaint half ran on the other thread
    assert 'id="incident-count">2<' in page
    assert "<strong>3</strong> complaints" in page
