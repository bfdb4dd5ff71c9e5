"""The complaint pages: list, intake, the handling form (处理单) with its steps, replies and
attachments; the board's complaint-volume chart and the war room's complaints panel."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from crisis import roles
from incidents.clock import workdays
from incidents.complaints import services
from incidents.complaints.models import (
    Complaint,
    ComplaintAttachment,
    ComplaintReply,
    ComplaintState,
    ComplaintView,
    EscalationRule,
    Level,
)
from incidents.models import Incident
from tests import factories
from tests.incidents.complaint_helpers import body

pytestmark = pytest.mark.django_db

NAME, PHONE = "王小明", "13912345678"


def handler_user(**kw):
    return factories.UserFactory(group=roles.COMPLAINT_HANDLERS, **kw)


def manager_user(**kw):
    return factories.UserFactory(group=roles.BUSINESS_MANAGERS, **kw)


def log(by, **overrides) -> Complaint:
    complaint, _created = services.intake(by=by, data=body(**overrides))
    return complaint


@pytest.fixture(autouse=True)
def _no_escalation_rules():
    """Each test sees only the rules it sets up (the defaults escalate repeats and VIPs)."""
    EscalationRule.objects.all().delete()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def handler(db):
    return handler_user(username="handler1", first_name="Zhao Min")


@pytest.fixture
def manager(db):
    return manager_user(username="manager1", first_name="Sun")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


# --- Sign-in and the list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/complaints/"),
        ("get", "/complaints/new/"),
        ("get", "/complaints/1/"),
        ("get", "/complaints/1/attachments/1/"),
        ("post", "/complaints/new/"),
        ("post", "/complaints/1/take/"),
        ("post", "/complaints/1/steps/acknowledge/"),
        ("post", "/complaints/1/replies/"),
        ("post", "/complaints/1/attachments/"),
    ],
)
def test_every_complaint_page_needs_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Complaint.objects.exists()


def test_navigation_links_to_complaints(handler):
    assert 'href="/complaints/"' in page(client_for(handler).get("/"))


def test_list_masks_people_and_filters(handler, responder, manager):
    mine = log(handler, project="Sunrise Gardens", category="repair")
    services.take(mine.pk, by=handler)
    other = log(
        responder, project="Blue Bay", category="price_fees", customer_name="李四", customer_phone="13800001111"
    )
    closed = log(responder, project="Blue Bay", description="Closed long ago.")
    Complaint.objects.filter(pk=closed.pk).update(state=ComplaintState.CLOSED)

    text = page(client_for(responder).get("/complaints/"))
    assert f"/complaints/{mine.pk}/" in text and f"/complaints/{other.pk}/" in text
    assert f"/complaints/{closed.pk}/" not in text  # open ones by default
    assert NAME not in text and PHONE not in text
    assert "王*" in text and "139****5678" in text
    assert "Complaint handler" in text  # the level
    assert "data-countdown" in text  # the next time limit, with the time left

    handler_client = client_for(handler)
    assert f"/complaints/{closed.pk}/" in page(handler_client.get("/complaints/?show=all"))
    by_category = page(handler_client.get("/complaints/?category=price_fees"))
    assert f"/complaints/{other.pk}/" in by_category and f"/complaints/{mine.pk}/" not in by_category
    by_project = page(handler_client.get("/complaints/?project=Sunrise"))
    assert f"/complaints/{mine.pk}/" in by_project and f"/complaints/{other.pk}/" not in by_project
    only_mine = page(handler_client.get("/complaints/?mine=1"))
    assert f"/complaints/{mine.pk}/" in only_mine and f"/complaints/{other.pk}/" not in only_mine
    by_state = page(handler_client.get("/complaints/?state=closed"))
    assert f"/complaints/{closed.pk}/" in by_state and f"/complaints/{mine.pk}/" not in by_state
    # Junk in the filters is ignored, never an error page.
    junk = handler_client.get("/complaints/?state=nope&category=%00&page=abc&incident=-3&mine=maybe")
    assert junk.status_code == 200
    # An incident id beyond the database's integers used to reach the query: a 500.
    for huge in ("9223372036854775808", "99999999999999999999999"):
        assert handler_client.get(f"/complaints/?incident={huge}").status_code == 200
    assert not ComplaintView.objects.exists()  # a list is not a reason to look


def test_list_is_paginated(handler):
    for i in range(27):
        log(handler, description=f"Complaint number {i}", project=f"P{i}")
    client = client_for(handler)
    first = page(client.get("/complaints/"))
    assert first.count('data-complaint="') == 25
    assert "Page 1 of 2" in first
    second = page(client.get("/complaints/?page=2"))
    assert second.count('data-complaint="') == 2


# --- Intake ---------------------------------------------------------------------------------------------


def intake_post(**overrides):
    values = {
        "channel": "wechat",
        "category": "service_attitude",
        "complexity": "complex",
        "customer_name": NAME,
        "customer_phone": PHONE,
        "unit": "5-2-801",
        "project": "Sunrise Gardens",
        "description": "The sales agent promised a green space; an overpass is coming.",
        "wants": "change_unit",
        "vip": ["large_buyer"],
        "form_key": "key-1",
    }
    values.update(overrides)
    return values


def test_intake_form_logs_one_complaint(handler):
    client = client_for(handler)
    form = client.get("/complaints/new/")
    assert form.status_code == 200
    assert 'name="vip"' in page(form) and 'name="injury_risk"' in page(form)
    response = client.post("/complaints/new/", intake_post())
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.pk}/"
    assert complaint.channel == "wechat" and complaint.complexity == "complex"
    assert complaint.vip == ["large_buyer"] and complaint.wants == "change_unit"
    assert complaint.logged_by == handler and complaint.incident is None
    # The same form sent twice (a double click): still one complaint.
    again = client.post("/complaints/new/", intake_post())
    assert again.status_code == 302 and again["Location"] == f"/complaints/{complaint.pk}/"
    assert Complaint.objects.count() == 1


def test_intake_bad_input_logs_nothing_and_shows_the_errors(handler):
    client = client_for(handler)
    bad = client.post(
        "/complaints/new/",
        intake_post(channel="carrier-pigeon", category="", description="  ", customer_phone="call me maybe"),
    )
    assert bad.status_code == 400  # as every form of the console answers bad input
    text = page(bad)
    assert "Nothing was logged yet" in text
    assert "This field is required." in text
    assert "Select a valid choice." in text
    assert not Complaint.objects.exists()
    # The service's own checks land on the fields too.
    phone = client.post("/complaints/new/", intake_post(customer_phone="call me maybe"))
    assert phone.status_code == 400
    assert "A phone number has digits" in page(phone)
    assert not Complaint.objects.exists()
    # A file the service would refuse: nothing is logged, not even the complaint.
    exe = SimpleUploadedFile("virus.exe", b"MZ...", content_type="application/octet-stream")
    refused = client.post("/complaints/new/", {**intake_post(), "attachment": exe})
    assert refused.status_code == 400
    assert "not accepted" in page(refused)
    assert not Complaint.objects.exists() and not ComplaintAttachment.objects.exists()
    # Junk values of every kind: never a 500.
    junk = client.post("/complaints/new/", {"vip": ["bogus"], "injury_risk": "\x00", "form_key": "k" * 500})
    assert junk.status_code == 400
    assert not Complaint.objects.exists()


def test_intake_with_an_attachment(handler):
    photo = SimpleUploadedFile("leak.jpg", b"\xff\xd8\xff photo", content_type="image/jpeg")
    response = client_for(handler).post("/complaints/new/", {**intake_post(), "attachment": photo})
    assert response.status_code == 302
    attachment = ComplaintAttachment.objects.get()
    assert attachment.name == "leak.jpg" and attachment.complaint == Complaint.objects.get()


def test_intake_that_escalates_links_the_war_room(handler):
    EscalationRule.objects.create(
        name_zh="媒体", name_en="Media", trigger="vip", crisis_kind="online_outrage", severity=3,
        vip_flags=["media_reporter"],
    )  # fmt: skip
    client = client_for(handler)
    response = client.post("/complaints/new/", intake_post(vip=["media_reporter"]), follow=True)
    complaint = Complaint.objects.get()
    assert complaint.incident is not None
    text = page(response)
    assert f'href="/incidents/{complaint.incident_id}/"' in text
    assert "An escalation rule made this complaint part of incident" in text
    assert "Open the war room" in text


# --- The handling form ----------------------------------------------------------------------------------


def test_detail_masks_for_others_and_logs_who_saw_it(handler, responder, admin):
    complaint = log(responder)
    masked = page(client_for(responder).get(f"/complaints/{complaint.pk}/"))
    assert NAME not in masked and PHONE not in masked
    assert "王*" in masked and "139****5678" in masked
    assert 'data-masked="true"' in masked
    assert not ComplaintView.objects.exists()
    assert "Who saw the personal details" not in masked

    plain = page(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert NAME in plain and PHONE in plain
    assert 'data-masked="false"' in plain
    view = ComplaintView.objects.get()
    assert view.user == handler and view.via == "page" and view.complaint == complaint
    assert "Who saw the personal details" not in plain  # only admins read the access log

    as_admin = page(client_for(admin).get(f"/complaints/{complaint.pk}/"))
    assert "Who saw the personal details" in as_admin
    assert "Zhao Min" in as_admin  # the handler's look is in the log
    assert ComplaintView.objects.count() == 2


def test_detail_shows_the_form_of_the_case(handler, responder):
    complaint = log(responder, vip=["large_buyer"], injury_risk=False)
    text = page(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert complaint.description in text
    assert "VIP · Large buyer" in text
    # The ladder: five internal rungs and the outside body, the current one marked.
    for level in Level:
        assert str(level.label) in text
    assert 'aria-current="step"' in text
    assert text.count('<li class="rung') == 6
    # Both time limits, with their due times.
    for deadline in complaint.deadlines.all():
        assert deadline.due_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M") in text
    assert "Acknowledge" in text and "Resolve" in text
    # The steps this handler may take, and only those.
    assert 'data-action="take"' in text and 'data-action="acknowledge"' in text
    assert 'data-action="propose"' not in text
    assert "Received via Hotline" in text  # the complaint's own log


def test_steps_move_the_state_and_a_responder_is_refused(handler, responder):
    complaint = log(responder)
    client = client_for(handler)
    url = f"/complaints/{complaint.pk}/steps/"

    refused = client_for(responder).post(url + "acknowledge/", {"acknowledge-note": "Called back."})
    assert refused.status_code == 403
    assert "Not allowed" in page(refused)
    taken = client_for(responder).post(f"/complaints/{complaint.pk}/take/")
    assert taken.status_code == 403
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED and complaint.handler is None

    assert client.post(f"/complaints/{complaint.pk}/take/").status_code == 302
    complaint.refresh_from_db()
    assert complaint.handler == handler

    done = client.post(url + "acknowledge/", {"acknowledge-note": "Called the customer."}, follow=True)
    assert done.status_code == 200
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.ACKNOWLEDGED
    assert "Called the customer." in page(done)

    client.post(url + "investigate/", {"investigate-facts": "Pipe joint leaks.", "investigate-emotions": "Angry."})
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.INVESTIGATING and complaint.facts == "Pipe joint leaks."

    # A step without what it needs: errors on the form, what was typed kept, nothing moves.
    missing = client.post(url + "propose/", {"propose-facts": "Pipe joint leaks.", "propose-options": "Fix or pay"})
    assert missing.status_code == 400
    assert "This field is required." in page(missing) and "Fix or pay" in page(missing)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.INVESTIGATING

    proposed = {
        "propose-facts": "Pipe joint leaks.",
        "propose-root_cause": "Bad fitting.",
        "propose-solution": "Replace the joint this week.",
        "propose-compensation": "500",
    }
    client.post(url + "propose/", proposed)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.PROPOSED and not complaint.approval_needed
    for action in ("agree", "implement"):
        client.post(url + f"{action}/", {})
    client.post(url + "follow_up/", {"follow_up-satisfaction": "4"})
    # Closing asks for the report to the supervisor (category 2: in writing), beside the fields.
    unreported = client.post(
        url + "close/", {"close-note": "Prevent: check joints at handover.", "close-report_class": "2"}
    )
    assert unreported.status_code == 400
    assert "This field is required." in page(unreported) and "Prevent: check joints at handover." in page(unreported)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.FOLLOWED_UP
    client.post(
        url + "close/",
        {
            "close-note": "Prevent: check joints at handover.",
            "close-report_class": "2",
            "close-report_text": "Leak fixed; joints to be checked at every handover.",
        },
    )
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED and complaint.satisfaction == 4
    text = page(client.get(f"/complaints/{complaint.pk}/"))
    assert "Closed. Nothing more to do." in text
    assert "Category 2: written report" in text and "joints to be checked at every handover" in text


def test_a_step_the_state_does_not_allow_is_a_message(handler):
    complaint = log(handler)
    response = client_for(handler).post(f"/complaints/{complaint.pk}/steps/close/", {}, follow=True)
    assert response.status_code == 200
    assert "not possible while the complaint is Received" in page(response)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED


def test_compensation_beyond_authority_waits_for_the_level_above(handler, manager):
    complaint = log(handler)
    services.act(complaint.pk, by=handler, action="acknowledge", data={})
    services.act(complaint.pk, by=handler, action="investigate", data={"facts": "Leak confirmed."})
    client = client_for(handler)
    url = f"/complaints/{complaint.pk}/steps/"
    client.post(
        url + "propose/",
        {
            "propose-root_cause": "Bad fitting.",
            "propose-solution": "Pay for the ceiling.",
            "propose-compensation": "8000",
        },
    )
    complaint.refresh_from_db()
    assert complaint.approval_needed and complaint.approved_at is None
    text = page(client.get(f"/complaints/{complaint.pk}/"))
    assert "waiting for the level above" in text
    assert 'data-action="agree"' not in text and 'data-action="approve"' not in text
    refused = client.post(url + "agree/", {}, follow=True)
    assert "beyond the handler" in page(refused)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.PROPOSED

    boss = client_for(manager)
    assert 'data-action="approve"' in page(boss.get(f"/complaints/{complaint.pk}/"))
    boss.post(url + "approve/", {"approve-note": "OK within budget."})
    complaint.refresh_from_db()
    assert complaint.approved_by == manager
    assert "approved by Sun" in page(client.get(f"/complaints/{complaint.pk}/"))


def test_dispute_climbs_the_ladder(handler, manager):
    complaint = log(handler)
    services.act(complaint.pk, by=handler, action="acknowledge", data={})
    services.act(complaint.pk, by=handler, action="investigate", data={"facts": "Leak confirmed."})
    services.act(complaint.pk, by=handler, action="propose", data={"root_cause": "Fitting", "solution": "Fix it"})
    client = client_for(handler)
    empty = client.post(f"/complaints/{complaint.pk}/steps/dispute/", {"dispute-reason": ""})
    assert empty.status_code == 400
    client.post(f"/complaints/{complaint.pk}/steps/dispute/", {"dispute-reason": "Wants a refund instead."})
    complaint.refresh_from_db()
    assert complaint.level == Level.BUSINESS_MANAGER and complaint.state == ComplaintState.RECEIVED
    # The handler is below the complaint's level now: follows it, masked, may not act.
    text = page(client.get(f"/complaints/{complaint.pk}/"))
    assert 'data-action="acknowledge"' not in text and NAME not in text
    assert client.post(f"/complaints/{complaint.pk}/steps/acknowledge/", {}).status_code == 403
    assert 'data-action="acknowledge"' in page(client_for(manager).get(f"/complaints/{complaint.pk}/"))


# --- Replies to the customer ---------------------------------------------------------------------------


def test_a_phone_reply_at_night_is_moved_into_business_hours(handler):
    complaint = log(handler)
    client = client_for(handler)
    tomorrow = timezone.localdate() + timedelta(days=1)
    night = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()).replace(hour=22))
    expected = workdays.next_business_moment(night)
    response = client.post(
        f"/complaints/{complaint.pk}/replies/",
        {"reply-method": "phone", "reply-at": f"{tomorrow.isoformat()}T22:00", "reply-promised": "Repair date."},
        follow=True,
    )
    assert response.status_code == 200
    reply = ComplaintReply.objects.get()
    assert reply.scheduled_for == expected and reply.requested_for == night
    text = page(response)
    moved = timezone.localtime(expected).strftime("%Y-%m-%d %H:%M")
    assert f"scheduled for {moved} instead of {tomorrow.isoformat()} 22:00" in text  # the message
    assert "Moved into business hours" in text and f"asked for {tomorrow.isoformat()} 22:00" in text
    # Urgent (or agreed with the customer): kept at the asked time.
    client.post(
        f"/complaints/{complaint.pk}/replies/",
        {"reply-method": "phone", "reply-at": f"{tomorrow.isoformat()}T22:00", "reply-urgent": "on"},
    )
    assert ComplaintReply.objects.filter(urgent=True, scheduled_for=night).exists()

    # A date at the end of the calendar overflowed the working-day arithmetic: now a field error.
    far = client.post(f"/complaints/{complaint.pk}/replies/", {"reply-method": "phone", "reply-at": "9999-12-31T08:00"})
    assert far.status_code == 400 and ComplaintReply.objects.count() == 2

    given = client.post(f"/complaints/{complaint.pk}/replies/{reply.pk}/given/", {f"given-{reply.pk}-given": ""})
    assert given.status_code == 400
    client.post(f"/complaints/{complaint.pk}/replies/{reply.pk}/given/", {f"given-{reply.pk}-given": "Told: Tuesday."})
    reply.refresh_from_db()
    assert reply.given == "Told: Tuesday." and reply.done_at is not None


def test_reply_junk_is_an_error_not_a_crash(handler, responder):
    complaint = log(handler)
    client = client_for(handler)
    for data in (
        {"reply-method": "pigeon", "reply-at": "tomorrow"},
        {"reply-method": "phone", "reply-at": "2001-01-01T10:00"},  # the past: the service says no
        {},
    ):
        assert client.post(f"/complaints/{complaint.pk}/replies/", data).status_code == 400
    assert not ComplaintReply.objects.exists()
    assert client_for(responder).post(f"/complaints/{complaint.pk}/replies/", {}).status_code == 403


# --- Attachments ---------------------------------------------------------------------------------------


def test_attachments_upload_and_download_are_permission_checked(handler, responder, pr):
    complaint = log(responder)
    client = client_for(handler)
    photo = SimpleUploadedFile("ceiling.png", b"\x89PNG photo of the ceiling", content_type="image/png")
    response = client.post(f"/complaints/{complaint.pk}/attachments/", {"attachment-file": photo})
    assert response.status_code == 302
    attachment = ComplaintAttachment.objects.get()
    url = f"/complaints/{complaint.pk}/attachments/{attachment.pk}/"
    assert url in page(client.get(f"/complaints/{complaint.pk}/"))
    assert "/media/" not in page(client.get(f"/complaints/{complaint.pk}/"))

    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x89PNG photo of the ceiling"
    assert "attachment" in download["Content-Disposition"]
    # Whoever logged it may open it too; other staff may not, and see no link.
    assert client_for(responder).get(url).status_code == 200
    other = client_for(pr)
    assert other.get(url).status_code == 403
    assert url not in page(other.get(f"/complaints/{complaint.pk}/"))
    assert other.post(f"/complaints/{complaint.pk}/attachments/", {"attachment-file": photo}).status_code == 403
    # Wrong complaint, unknown attachment: not found.
    second = log(handler)
    assert client.get(f"/complaints/{second.pk}/attachments/{attachment.pk}/").status_code == 404
    assert client.get(f"/complaints/{complaint.pk}/attachments/99999/").status_code == 404


def test_attachment_junk_is_refused(handler):
    complaint = log(handler)
    client = client_for(handler)
    assert client.post(f"/complaints/{complaint.pk}/attachments/", {}).status_code == 400
    bad = SimpleUploadedFile("script.sh", b"rm -rf /", content_type="text/x-sh")
    refused = client.post(f"/complaints/{complaint.pk}/attachments/", {"attachment-file": bad})
    assert refused.status_code == 400 and "not accepted" in page(refused)
    empty = SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf")
    assert client.post(f"/complaints/{complaint.pk}/attachments/", {"attachment-file": empty}).status_code == 400
    assert not ComplaintAttachment.objects.exists()


# --- No 500 on junk --------------------------------------------------------------------------------------


def test_junk_posts_never_crash(handler):
    complaint = log(handler)
    client = client_for(handler)
    base = f"/complaints/{complaint.pk}"
    assert client.post(f"{base}/steps/explode/", {}).status_code == 404
    assert client.post(f"{base}/steps/take/", {}).status_code == 404
    assert client.post("/complaints/99999/steps/acknowledge/", {}).status_code == 404
    assert client.post("/complaints/99999/take/").status_code == 404
    assert client.get("/complaints/99999/").status_code == 404
    assert client.post(f"{base}/replies/99999/given/", {}).status_code == 404
    assert client.get(f"{base}/steps/acknowledge/").status_code == 405
    services.act(complaint.pk, by=handler, action="acknowledge", data={})
    services.act(complaint.pk, by=handler, action="investigate", data={"facts": "x"})
    junk = {
        "propose-root_cause": "\x00" * 3,
        "propose-solution": "x" * 20_000,
        "propose-compensation": "NaN",
        "propose-facts": ["a", "b"],
    }
    assert client.post(f"{base}/steps/propose/", junk).status_code == 400
    for amount in ("-5", "1e99", "12.345", "Infinity"):
        data = {"propose-root_cause": "r", "propose-solution": "s", "propose-compensation": amount}
        assert client.post(f"{base}/steps/propose/", data).status_code == 400
    # A step that is not possible now, with junk: the errors come as messages (no form to show them on).
    follow_up = client.post(f"{base}/steps/follow_up/", {"follow_up-satisfaction": "9"}, follow=True)
    assert follow_up.status_code == 200
    assert "Customer satisfaction: Select a valid choice." in page(follow_up)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.INVESTIGATING


def test_csrf_is_required(handler):
    complaint = log(handler)
    client = Client(enforce_csrf_checks=True)
    client.force_login(handler)
    assert client.post(f"/complaints/{complaint.pk}/take/").status_code == 403
    assert client.post("/complaints/new/", intake_post()).status_code == 403
    complaint.refresh_from_db()
    assert complaint.handler is None and Complaint.objects.count() == 1


def test_hostile_text_is_escaped(handler):
    hostile = '<script>alert("x")</script>'
    complaint = log(handler, description=hostile, project=hostile, customer_name=hostile)
    client = client_for(handler)
    for path in ("/complaints/", f"/complaints/{complaint.pk}/", "/"):
        text = page(client.get(path))
        assert "<script>alert" not in text


# --- The board and the war room ---------------------------------------------------------------------------


def test_board_shows_the_complaint_volume(handler, commander):
    now = timezone.now()
    log(handler, project="Blue Bay", category="parts", received_at=(now - timedelta(days=5)).isoformat())
    for category in ("repair", "repair", "repair", "price_fees"):
        log(handler, project="Sunrise Gardens", category=category)
    text = page(client_for(commander).get("/"))
    chart = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" class="volume-image" alt="([^"]+)"', text)
    svg = base64.b64decode(chart.group(1)).decode()
    assert chart.group(2).startswith("Complaints per day and category, last 14 days: 5 complaints")
    assert ">today<" in svg and "Repair" in svg  # pygal's stacked columns, one series per category
    assert "5 complaints in the last 14 days; 4 today" in text  # the accessible summary
    assert "Repair" in text and "Price or fees" in text and "Parts" in text  # the legend
    assert "<td>" + timezone.localdate().isoformat() + '</td><td class="num">1</td><td class="num">3</td>' in text
    assert 'class="tag tag-danger">rising' in text  # 4 today against almost none before
    # The busiest projects: the 14-day total and the last 24 hours.
    busiest = text.split("Busiest projects", 1)[1]
    assert busiest.index("Sunrise Gardens") < busiest.index("Blue Bay")
    assert '<td class="num">4</td>' in busiest


def test_board_without_complaints_is_calm(commander):
    text = page(client_for(commander).get("/"))
    assert "No complaints in the last 14 days." in text
    assert "volume-image" not in text


def test_war_room_lists_the_complaints_of_the_incident(handler, commander):
    EscalationRule.objects.create(
        name_zh="媒体", name_en="Media", trigger="vip", crisis_kind="online_outrage", severity=3,
        vip_flags=["media_reporter"],
    )  # fmt: skip
    first = log(handler, vip=["media_reporter"])
    incident = Incident.objects.get()
    second = log(handler, vip=["media_reporter"], customer_name="李四")
    unrelated = log(handler, project="Elsewhere")
    assert first.incident == incident and second.incident == incident and unrelated.incident is None

    client = client_for(commander)
    text = page(client.get(f"/incidents/{incident.pk}/"))
    panel = text.split('id="panel-complaints"', 1)[1].split("</section>", 1)[0]
    assert f'href="/complaints/{first.pk}/"' in panel and f'href="/complaints/{second.pk}/"' in panel
    assert f'href="/complaints/{unrelated.pk}/"' not in panel
    assert "Complaints (2)" in panel
    assert "王*" in panel and "李*" in panel and NAME not in panel
    # The live script re-fetches the panel by name when a complaint entry arrives.
    fetched = client.get(f"/incidents/{incident.pk}/panels/complaints/")
    assert fetched.status_code == 200
    assert 'id="panel-complaints"' in page(fetched) and f"/complaints/{second.pk}/" in page(fetched)
    # The complaint page links back to the war room.
    assert f'href="/incidents/{incident.pk}/"' in page(client.get(f"/complaints/{first.pk}/"))


def test_war_room_without_complaints_keeps_an_empty_slot(commander, incident):
    text = page(client_for(commander).get(f"/incidents/{incident.pk}/"))
    assert '<div id="panel-complaints" data-panel="complaints" hidden></div>' in text


def test_entries_without_an_actor_read_as_the_system(handler, commander):
    """Alarms write without an actor (a missed time limit, a climb): the pages say "system"."""
    from django.db import transaction

    from incidents import services as incident_services
    from incidents.complaints.models import ComplaintEvent
    from incidents.models import EntryKind

    complaint = log(handler)
    due = complaint.deadlines.first()
    ComplaintEvent.objects.create(
        complaint=complaint, kind="breach", level=0, state="received",
        data={"kind": due.kind, "due_at": due.due_at.isoformat()},
    )  # fmt: skip
    text = page(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert "system" in text and "Time limit missed: Acknowledge" in text

    incident = factories.declare(commander, commander=commander)
    with transaction.atomic():
        locked = incident_services.lock_incident(incident.pk)
        incident_services.record(locked, EntryKind.NOTE, actor=None, text="Sweep found nothing.")
    response = client_for(commander).get(f"/incidents/{incident.pk}/")
    assert response.status_code == 200
    assert "Sweep found nothing." in page(response)
