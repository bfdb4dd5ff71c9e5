"""The complaint craft of issue 15 (item 8) on the pages: naming the staff member complained about,
a written reply confirmed by a manager before it goes, and senior management's extension — each as a
user does it, with the errors a user sees and the refusals that change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.complaints import defaults, services
from incidents.complaints.models import (
    Complaint,
    ComplaintEventKind,
    ComplaintReply,
    Level,
    TimeLimitProfile,
)
from tests.incidents.complaint_helpers import handler_user, ladder_user, log, manager_user, no_rules

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup():
    no_rules()
    defaults.create_default_time_limits(TimeLimitProfile)
    defaults.create_banking_profile(TimeLimitProfile)


@pytest.fixture
def handler():
    return handler_user(username="handler1", first_name="Zhao Min")


@pytest.fixture
def manager():
    return manager_user(username="manager1", first_name="Sun")


@pytest.fixture
def senior():
    return ladder_user(Level.SENIOR_MANAGEMENT, username="senior1")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode()


KEPT_OFF = "This complaint is about you"


def test_intake_names_the_person_complained_about_and_they_cannot_touch_the_case(handler, responder, manager):
    client = client_for(responder)
    form = text_of(client.get("/complaints/new/"))
    assert 'name="complained_about"' in form and "nobody in particular" in form
    values = {
        "channel": "hotline", "category": "reception", "complexity": "general", "customer_name": "王小明",
        "customer_phone": "13912345678", "unit": "3-1-1202", "project": "Sunrise Gardens",
        "description": "Rude at the sales office.", "wants": "apology", "complained_about": str(handler.pk),
        "form_key": "k-1",
    }  # fmt: skip
    response = client.post("/complaints/new/", values)
    assert response.status_code == 302, text_of(response)[:2000]
    complaint = Complaint.objects.get()
    assert complaint.complained_about == handler and complaint.category == "reception"

    mine = client_for(handler)
    detail = text_of(mine.get(f"/complaints/{complaint.pk}/"))
    assert KEPT_OFF in detail and 'data-action="take"' not in detail
    assert mine.post(f"/complaints/{complaint.pk}/take/").status_code == 403
    assert mine.post(f"/complaints/{complaint.pk}/steps/acknowledge/", {}).status_code == 403
    complaint.refresh_from_db()
    assert complaint.handler is None

    # An unknown person is a field error on the form and logs nothing.
    bad = client.post("/complaints/new/", {**values, "complained_about": "99999999", "form_key": "k-2"})
    assert bad.status_code == 400 and Complaint.objects.count() == 1


def test_a_manager_names_the_person_on_the_page_and_they_lose_the_case(handler, responder, manager):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    url = f"/complaints/{complaint.pk}/complained-about/"
    # The handler may not say who it is about; the form is not even shown to them.
    assert "Who is the complaint about?" not in text_of(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert client_for(handler).post(url, {"user": str(handler.pk)}).status_code == 403

    boss = client_for(manager)
    assert "Who is the complaint about?" in text_of(boss.get(f"/complaints/{complaint.pk}/"))
    for junk in ({"user": "nobody"}, {"user": "99999999"}, {"user": str(handler.pk), "note": "x" * 20_000}):
        assert boss.post(url, junk).status_code == 400
    complaint.refresh_from_db()
    assert complaint.complained_about is None and complaint.handler == handler

    done = boss.post(url, {"user": str(handler.pk), "note": "The customer named him."}, follow=True)
    assert done.status_code == 200
    assert "who is kept off the case" in text_of(done)
    complaint.refresh_from_db()
    assert complaint.complained_about == handler and complaint.handler is None  # back to the queue
    assert complaint.events.filter(kind=ComplaintEventKind.COMPLAINED_ABOUT).exists()
    assert KEPT_OFF in text_of(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert boss.post("/complaints/99999999/complained-about/", {"user": ""}).status_code == 404


def written_reply(client, complaint, text="Dear Mr Wang, the leak will be fixed on Tuesday.") -> ComplaintReply:
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        f"/complaints/{complaint.pk}/replies/",
        {"reply-method": "written", "reply-at": f"{tomorrow.isoformat()}T10:00", "reply-text": text},
    )
    assert response.status_code == 302, text_of(response)[:3000]
    return ComplaintReply.objects.get(complaint=complaint)


def test_a_written_reply_goes_only_after_a_manager_confirms_its_exact_text(handler, responder, manager):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    mine = client_for(handler)
    # A phone reply has no text to confirm: a field error, nothing scheduled.
    tomorrow = timezone.localdate() + timedelta(days=1)
    phone = mine.post(
        f"/complaints/{complaint.pk}/replies/",
        {"reply-method": "phone", "reply-at": f"{tomorrow.isoformat()}T10:00", "reply-text": "A letter?"},
    )
    assert phone.status_code == 400 and "Only a written reply" in text_of(phone)
    assert not ComplaintReply.objects.exists()

    reply = written_reply(mine, complaint)
    base = f"/complaints/{complaint.pk}/replies/{reply.pk}"
    detail = text_of(mine.get(f"/complaints/{complaint.pk}/"))
    assert "waiting for a business manager to confirm the text" in detail
    assert "Record it sent" not in detail and "Confirm this text" not in detail  # handlers do not confirm
    # Recording it sent before confirmation is refused and changes nothing.
    refused = mine.post(f"{base}/given/", {}, follow=True)
    assert "has confirmed its text" in text_of(refused)
    reply.refresh_from_db()
    assert reply.done_at is None
    assert mine.post(f"{base}/confirm/", {"text": reply.text}).status_code == 403

    boss = client_for(manager)
    assert "Confirm this text" in text_of(boss.get(f"/complaints/{complaint.pk}/"))
    assert boss.post(f"{base}/confirm/", {"text": ""}).status_code == 400
    assert boss.post(f"{base}/confirm/", {"text": reply.text}).status_code == 302
    reply.refresh_from_db()
    assert reply.confirmed_by == manager and reply.confirmed_text == reply.text

    # The handler changes the text: it needs confirming again before it may go.
    assert mine.post(f"{base}/text/", {"text": ""}).status_code == 400
    mine.post(f"{base}/text/", {"text": "Dear Mr Wang, the leak will be fixed on Wednesday."})
    reply.refresh_from_db()
    assert not reply.is_confirmed
    assert "to be confirmed again" in text_of(mine.get(f"/complaints/{complaint.pk}/"))
    mine.post(f"{base}/given/", {})
    reply.refresh_from_db()
    assert reply.done_at is None

    boss.post(f"{base}/confirm/", {"text": reply.text})
    detail = text_of(mine.get(f"/complaints/{complaint.pk}/"))
    assert "Record it sent (with the confirmed text)" in detail and "confirmed by Sun" in detail
    assert mine.post(f"{base}/given/", {}).status_code == 302
    reply.refresh_from_db()
    assert reply.done_at is not None and reply.given == "Dear Mr Wang, the leak will be fixed on Wednesday."
    # Unknown replies: not found.
    assert boss.post(f"/complaints/{complaint.pk}/replies/99999999/confirm/", {"text": "x"}).status_code == 404
    assert mine.post(f"/complaints/{complaint.pk}/replies/99999999/text/", {"text": "x"}).status_code == 404


def test_senior_management_extends_on_the_page_within_the_profile(handler, responder, senior):
    TimeLimitProfile.objects.update(in_force=False)
    TimeLimitProfile.objects.filter(name=defaults.BANKING_PROFILE["name"]).update(in_force=True)
    complaint = log(responder, complexity="complex")
    resolve = complaint.deadlines.get(kind="resolve")
    before = resolve.due_at
    url = f"/complaints/{complaint.pk}/extend/"

    handler_page = text_of(client_for(handler).get(f"/complaints/{complaint.pk}/"))
    assert "counted in calendar days" in handler_page and "Extend the resolution limit" not in handler_page
    assert client_for(handler).post(url, {"days": "45", "reason": "x"}).status_code == 403

    boss = client_for(senior)
    assert "Extend the resolution limit" in text_of(boss.get(f"/complaints/{complaint.pk}/"))
    for junk in ({"days": "61", "reason": "Too far."}, {"days": "many", "reason": "x"}, {"days": "45"}, {}):
        assert boss.post(url, junk).status_code == 400, junk
    resolve.refresh_from_db()
    assert resolve.due_at == before

    done = boss.post(url, {"days": "45", "reason": "Awaiting the insurer's assessment."}, follow=True)
    assert done.status_code == 200 and "Resolution limit extended to" in text_of(done)
    resolve.refresh_from_db()
    received = timezone.localtime(complaint.received_at).date()
    assert timezone.localtime(resolve.due_at).date() == received + timedelta(days=45)
    assert boss.post("/complaints/99999999/extend/", {"days": "45", "reason": "x"}).status_code == 404


def test_the_close_step_on_the_page_asks_for_the_oral_report_recipient(handler, responder):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    for action, data in (
        ("acknowledge", {}),
        ("investigate", {"facts": "Joint failed."}),
        ("propose", {"root_cause": "Fitting.", "solution": "Replace."}),
        ("agree", {}),
        ("implement", {}),
        ("follow_up", {"satisfaction": 4}),
    ):
        services.act(complaint.pk, by=handler, action=action, data=data)
    mine = client_for(handler)
    url = f"/complaints/{complaint.pk}/steps/close/"
    assert mine.post(url, {"close-report_class": "1"}).status_code == 400
    assert mine.post(url, {"close-report_class": "7", "close-reported_to": "Sun"}).status_code == 400
    complaint.refresh_from_db()
    assert complaint.is_open
    assert mine.post(url, {"close-report_class": "1", "close-reported_to": "Manager Sun"}).status_code == 302
    complaint.refresh_from_db()
    assert not complaint.is_open and complaint.report_class == 1 and complaint.reported_to == "Manager Sun"
    assert "Category 1: reported orally" in text_of(mine.get(f"/complaints/{complaint.pk}/"))
