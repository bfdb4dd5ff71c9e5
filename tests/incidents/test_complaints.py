"""Complaints: intake, idempotency, masking, working-day time limits, the handling form, the ladder,
approval of promises beyond authority, and quiet hours for phone replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.utils import override_settings
from django.utils import timezone

from config.errors import NotAllowed, RuleBroken
from incidents.clock import alarms as clock
from incidents.clock.models import Alarm, CalendarDay
from incidents.complaints import access, ladder, services
from incidents.complaints.models import (
    Complaint,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintState,
    ComplaintView,
    Level,
    TimeLimitProfile,
)
from tests import factories
from tests.alarms import about, alarms_of, pending_of

from .complaint_helpers import body, handler_user, ladder_user, log, manager_user, no_rules

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_escalation_rules():
    no_rules()  # escalation has its own tests (test_complaint_rules.py)


@pytest.fixture
def handler():
    return handler_user()


@pytest.fixture
def manager():
    return manager_user()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def deadlines(complaint, **filters) -> dict[str, datetime]:
    rows = ComplaintDeadline.objects.filter(complaint=complaint, **filters)
    return {d.kind: d.due_at.astimezone(SH) for d in rows}


# --- Intake ----------------------------------------------------------------------------------------


def test_the_same_idempotency_key_twice_creates_one_complaint(api, responder):
    client = api.as_user(responder)
    first = client.post("/api/complaints/", body(), format="json", HTTP_IDEMPOTENCY_KEY="call-centre-4711")
    second = client.post("/api/complaints/", body(), format="json", HTTP_IDEMPOTENCY_KEY="call-centre-4711")
    assert first.status_code == 201, first.json()
    assert second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
    assert Complaint.objects.count() == 1
    assert ComplaintDeadline.objects.count() == 2  # the clocks started once


def test_an_idempotency_key_reused_for_a_different_complaint_is_a_conflict(api, responder):
    client = api.as_user(responder)
    client.post("/api/complaints/", body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        "/api/complaints/", body(description="Something else"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 409
    assert Complaint.objects.count() == 1


def test_keys_belong_to_their_client(api, responder, pr):
    api.as_user(responder).post("/api/complaints/", body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    api.as_user(pr).post("/api/complaints/", body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert Complaint.objects.count() == 2


def test_without_a_key_every_post_is_a_new_complaint(api, responder):
    client = api.as_user(responder)
    client.post("/api/complaints/", body(), format="json")
    client.post("/api/complaints/", body(), format="json")
    assert Complaint.objects.count() == 2


@pytest.mark.parametrize(
    "change,field",
    [
        ({"channel": None}, "channel"),
        ({"channel": "fax"}, "channel"),
        ({"category": ""}, "category"),
        ({"description": "   "}, "description"),
        ({"description": 42}, "description"),
        ({"complexity": "very"}, "complexity"),
        ({"vip": ["emperor"]}, "vip"),
        ({"vip": "media_reporter"}, None),  # a single flag as text is accepted
        ({"vip": {"a": 1}}, "vip"),
        ({"injury_risk": "maybe"}, "injury_risk"),
        ({"customer_phone": "call me"}, "customer_phone"),
        ({"received_at": "yesterday"}, "received_at"),
        ({"received_at": "2099-01-01T00:00:00+08:00"}, "received_at"),
        # Dates at the ends of the calendar overflowed into 500s; the floor refuses them first.
        ({"received_at": "0001-01-01T00:00:00"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00+14:00"}, "received_at"),
        ({"received_at": "1000-01-01T00:00:00"}, "received_at"),
        ({"received_at": "9999-12-31T23:59:59-14:00"}, "received_at"),
        ({"project": "x" * 201}, "project"),
    ],
)
def test_bad_input_gets_field_errors_and_changes_nothing(api, responder, change, field):
    data = body(**change)
    response = api.as_user(responder).post("/api/complaints/", data, format="json")
    if field is None:
        assert response.status_code == 201, response.json()
        return
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"], response.json()
    assert Complaint.objects.count() == 0


def test_a_body_that_is_not_an_object_is_refused(api, responder):
    response = api.as_user(responder).post("/api/complaints/", [1, 2], format="json")
    assert response.status_code == 400
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON parser's recursion can go
        '{"channel": "hotline", "category": "repair", "description": "a\\u0000b"}',  # NUL: PostgreSQL refuses it
        '{"channel": "hotline", "category": "repair", "description": "x", "vip": ["\\u0000"]}',
    ],
)
def test_bodies_the_json_parser_would_pass_on_as_errors_are_refused(api, responder, raw):
    client = api.as_user(responder)
    response = client.generic("POST", "/api/complaints/", raw, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert Complaint.objects.count() == 0


def test_the_service_refuses_nul_characters_whoever_calls_it(responder):
    with pytest.raises(ValidationError) as refused:
        services.intake(by=responder, data=body(description="a\x00b"))
    assert "description" in refused.value.message_dict
    assert Complaint.objects.count() == 0


def test_a_nul_in_the_project_filter_is_refused(api, responder):
    response = api.as_user(responder).get("/api/complaints/", {"project": "a\x00b"})
    assert response.status_code == 400
    assert "project" in response.json()["errors"]


def test_intake_needs_a_signed_in_client(api):
    response = api.post("/api/complaints/", body(), format="json")
    assert response.status_code in (401, 403)
    assert Complaint.objects.count() == 0


# --- Personal information ---------------------------------------------------------------------------


def test_names_and_phones_are_masked_for_those_who_do_not_handle_the_complaint(api, responder, executive, handler):
    complaint = log(responder, customer_name="王小明", customer_phone="13912345678")
    for outsider in (responder, executive):
        data = api.as_user(outsider).get(f"/api/complaints/{complaint.pk}/").json()
        assert (data["customer_name"], data["customer_phone"], data["masked"]) == ("王**", "139****5678", True)
    assert not ComplaintView.objects.exists()

    data = api.as_user(handler).get(f"/api/complaints/{complaint.pk}/").json()
    assert (data["customer_name"], data["customer_phone"], data["masked"]) == ("王小明", "13912345678", False)
    seen = list(ComplaintView.objects.values_list("user", "via"))
    assert seen == [(handler.pk, "api")]


def test_a_look_is_logged_once_per_person_and_way_in_within_minutes(api, responder, handler, manager):
    complaint = log(responder)
    for _reload in range(3):
        api.as_user(handler).get(f"/api/complaints/{complaint.pk}/")
    services.personal_details(complaint, handler, via="page")
    services.personal_details(complaint, manager, via="api")
    seen = sorted(ComplaintView.objects.values_list("user", "via"))
    assert seen == sorted([(handler.pk, "api"), (handler.pk, "page"), (manager.pk, "api")])
    # a look after the quiet period is a new entry
    ComplaintView.objects.update(at=timezone.now() - timedelta(minutes=services.VIEW_LOG_MINUTES + 1))
    services.personal_details(complaint, handler, via="api")
    assert ComplaintView.objects.filter(user=handler).count() == 3


def test_lists_are_masked_even_for_handlers(api, responder, handler):
    log(responder)
    row = api.as_user(handler).get("/api/complaints/").json()["results"][0]
    assert row["customer_phone"] == "139****5678"
    assert not ComplaintView.objects.exists()


def test_a_complaint_above_a_handlers_level_is_masked_for_them(responder, handler, manager):
    complaint = log(responder)
    _handle_to_agreed(complaint, handler)
    services.act(complaint.pk, by=handler, action="dispute", data={"reason": "Customer rejects the offer."})
    complaint.refresh_from_db(fields=["level"])
    assert services.personal_details(complaint, handler, via="api")["masked"] is True
    assert services.personal_details(complaint, manager, via="api")["masked"] is False


def test_a_handler_moved_out_of_complaint_handling_no_longer_sees_the_customer(responder, handler):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    complaint.refresh_from_db()
    assert services.personal_details(complaint, handler, via="api")["masked"] is False
    attachment = services.add_attachment(
        complaint.pk, by=handler, upload=SimpleUploadedFile("contract.pdf", b"%PDF-1.4 test", "application/pdf")
    )
    assert services.may_download(handler, attachment)
    handler.groups.clear()
    handler = type(handler).objects.get(pk=handler.pk)  # a new request: no cached ladder level
    assert services.personal_details(complaint, handler, via="api")["masked"] is True
    assert not services.may_download(handler, attachment)


def test_masks():
    assert access.mask_name("王小明") == "王**"
    assert access.mask_name("Li") == "L*"
    assert access.mask_phone("13912345678") == "139****5678"
    assert access.mask_phone("+86 139 1234 5678") == "+86**********5678"
    assert access.mask_phone("12315") == "***15"
    # A landline without its area code is short: most of it stays hidden all the same.
    assert access.mask_phone("87654321") == "******21"
    assert access.mask_name("张") == "*"
    assert access.mask_name("") == access.mask_phone("") == ""


# --- Working-day time limits ---------------------------------------------------------------------


def test_time_limits_count_working_days_across_national_day_and_a_make_up_saturday(responder):
    # Received Wednesday 30 September 2026; 1–7 October are off; Saturday 10 October is worked (调休).
    general = log(responder, received_at="2026-09-30T10:00:00+08:00")
    assert deadlines(general) == {
        "acknowledge": at(2026, 10, 9, 18),  # 8 and 9 October
        "resolve": at(2026, 10, 10, 18),  # the make-up Saturday is the third working day
    }
    complex_ = log(responder, received_at="2026-09-30T10:00:00+08:00", complexity="complex")
    assert deadlines(complex_)["resolve"] == at(2026, 10, 13, 18)  # Sunday the 11th is off


def test_an_admins_calendar_correction_moves_the_limits(responder):
    CalendarDay.objects.create(date=datetime(2026, 11, 25).date(), kind="holiday", name="Company day off")
    complaint = log(responder, received_at="2026-11-23T10:00:00+08:00")  # a Monday
    assert deadlines(complaint)["acknowledge"] == at(2026, 11, 26, 18)  # skips Wednesday the 25th


def test_the_time_limits_are_the_profile_an_admin_edits(client, responder):
    """The limits are data: an admin changes the profile in force, and clocks started afterwards
    follow it (those already running keep theirs)."""
    before = log(responder, received_at="2026-11-23T10:00:00+08:00")  # a Monday
    admin = factories.admin_user()
    client.force_login(admin)
    profile, _ = TimeLimitProfile.objects.get_or_create(in_force=True, defaults={"name": "default"})
    form = {
        "name": profile.name, "in_force": "on", "acknowledge_working_days": "1", "resolve_general_working_days": "4",
        "resolve_complex_working_days": "6", "higher_acknowledge_working_days": "2", "higher_resolve_working_days": "5",
        "follow_up_days": "7", "reminder_minutes": "240", "reply_reminder_minutes": "15", "day_unit": "working",
        "extension_limit_days": "", "frequent_complainer_count": "3", "frequent_complainer_days": "90",
    }  # fmt: skip
    response = client.post(f"/admin/complaints/timelimitprofile/{profile.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    after = log(responder, received_at="2026-11-23T10:00:00+08:00")
    assert deadlines(after) == {"acknowledge": at(2026, 11, 24, 18), "resolve": at(2026, 11, 27, 18)}
    assert deadlines(before) == {"acknowledge": at(2026, 11, 25, 18), "resolve": at(2026, 11, 26, 18)}
    form["acknowledge_working_days"] = "0"  # a limit of no time at all is refused, and nothing changes
    assert client.post(f"/admin/complaints/timelimitprofile/{profile.pk}/change/", form).status_code == 200
    assert TimeLimitProfile.objects.get(pk=profile.pk).acknowledge_working_days == 1


def test_time_limits_have_alarms(responder):
    complaint = log(responder)
    for deadline in complaint.deadlines.all():
        kinds = sorted(pending_of(deadline).values_list("kind", flat=True))
        assert kinds == ["breach", "reminder"]


# --- The handling form -----------------------------------------------------------------------------


def _handle_to_agreed(complaint, handler, compensation=None):
    services.act(complaint.pk, by=handler, action="acknowledge")
    services.act(
        complaint.pk, by=handler, action="investigate", data={"facts": "Pipe joint failed.", "emotions": "Angry."}
    )
    services.act(
        complaint.pk,
        by=handler,
        action="propose",
        data={"root_cause": "Bad fitting.", "solution": "Replace the joint.", "compensation": compensation},
    )
    complaint.refresh_from_db(fields=["approval_needed"])
    if not complaint.approval_needed:
        services.act(complaint.pk, by=handler, action="agree")


def test_the_whole_handling_form_meets_its_time_limits(responder, handler):
    complaint = log(responder)
    _handle_to_agreed(complaint, handler)
    services.act(complaint.pk, by=handler, action="implement", data={"note": "Fixed on site."})
    assert deadlines(complaint, state="pending").keys() == {"follow_up"}
    services.act(complaint.pk, by=handler, action="follow_up", data={"satisfaction": 4})
    services.act(complaint.pk, by=handler, action="close", data={"report_class": 1, "reported_to": "Manager Sun"})
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.CLOSED
    assert complaint.handler == handler
    assert set(complaint.deadlines.values_list("kind", "state")) == {
        ("acknowledge", "met"),
        ("resolve", "met"),
        ("follow_up", "met"),
    }
    limits = complaint.deadlines.values("pk")
    assert not Alarm.objects.pending().filter(owner_type=ladder.OWNER, owner_id__in=limits).exists()
    steps = list(complaint.events.filter(kind="step").values_list("data__action", flat=True))
    assert steps == ["acknowledge", "investigate", "propose", "agree", "implement", "follow_up", "close"]


def test_steps_out_of_order_are_refused_and_change_nothing(responder, handler):
    complaint = log(responder)
    with pytest.raises(RuleBroken):
        services.act(complaint.pk, by=handler, action="implement")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.RECEIVED
    assert complaint.events.count() == 1


def test_a_proposal_needs_facts_root_cause_and_solution(responder, handler):
    from django.core.exceptions import ValidationError

    complaint = log(responder)
    services.act(complaint.pk, by=handler, action="acknowledge")
    services.act(complaint.pk, by=handler, action="investigate")
    with pytest.raises(ValidationError) as raised:
        services.act(complaint.pk, by=handler, action="propose", data={"compensation": "lots"})
    assert {"facts", "root_cause", "solution", "compensation"} <= set(raised.value.message_dict)
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.INVESTIGATING
    proposal = {"facts": "漏水", "root_cause": "防水层施工缺陷", "solution": "重做防水"}
    with pytest.raises(ValidationError) as unknown:
        services.act(complaint.pk, by=handler, action="propose", data={**proposal, "root_cause_category": "fate"})
    assert set(unknown.value.message_dict) == {"root_cause_category"}
    services.act(complaint.pk, by=handler, action="propose", data={**proposal, "root_cause_category": "construction"})
    complaint.refresh_from_db()
    assert (complaint.state, complaint.root_cause_category) == (ComplaintState.PROPOSED, "construction")


def test_only_complaint_staff_handle(responder, pr, executive):
    complaint = log(responder)
    for outsider in (responder, pr, executive):
        with pytest.raises(NotAllowed):
            services.act(complaint.pk, by=outsider, action="acknowledge")
    assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.RECEIVED


@override_settings(CRISIS_COMPLAINT_APPROVAL_ABOVE=Decimal("5000"))
def test_a_promise_beyond_the_handlers_authority_needs_the_level_above(responder, handler, manager):
    complaint = log(responder)
    _handle_to_agreed(complaint, handler, compensation="8000")
    complaint.refresh_from_db()
    assert complaint.approval_needed and complaint.state == ComplaintState.PROPOSED
    with pytest.raises(RuleBroken, match="approval"):
        services.act(complaint.pk, by=handler, action="agree")
    with pytest.raises(NotAllowed):
        services.act(complaint.pk, by=handler, action="approve")  # not one's own promise
    assert "approve" in services.allowed_actions(complaint, manager)
    services.act(complaint.pk, by=manager, action="approve")
    services.act(complaint.pk, by=handler, action="agree")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.AGREED
    assert complaint.approved_by == manager


@override_settings(CRISIS_COMPLAINT_APPROVAL_ABOVE=Decimal("5000"))
def test_a_promise_within_authority_needs_no_approval(responder, handler):
    complaint = log(responder)
    _handle_to_agreed(complaint, handler, compensation="5000")
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.AGREED
    assert not complaint.approval_needed


# --- The ladder ------------------------------------------------------------------------------------


def test_a_disputed_result_climbs_the_ladder_to_the_outside_body(responder, handler):
    complaint = log(responder, received_at="2026-11-23T10:00:00+08:00")
    _handle_to_agreed(complaint, handler)
    expected = [Level.BUSINESS_MANAGER, Level.BRANCH_HEAD, Level.GENERAL_MANAGEMENT, Level.SENIOR_MANAGEMENT]
    actor = handler
    for level in expected:
        services.act(complaint.pk, by=actor, action="dispute", data={"reason": "The customer disagrees."})
        complaint.refresh_from_db()
        assert (complaint.level, complaint.state, complaint.handler) == (level, ComplaintState.RECEIVED, None)
        # each level again: acknowledge within 2 working days, resolve within 5
        pending = ComplaintDeadline.objects.filter(complaint=complaint, state="pending", level=level)
        assert sorted(pending.values_list("kind", flat=True)) == ["acknowledge", "resolve"]
        ack, resolve = (pending.get(kind=k).due_at for k in ("acknowledge", "resolve"))
        assert (resolve - ack).days >= 3
        # the rung below may no longer act; the new rung may
        with pytest.raises(NotAllowed):
            services.act(complaint.pk, by=ladder_user(level - 1), action="acknowledge")
        actor = ladder_user(level)
        _handle_to_agreed(complaint, actor)
    with pytest.raises(Exception) as raised:
        services.act(complaint.pk, by=actor, action="dispute", data={"reason": "Still no."})
    assert "outside_body" in raised.value.message_dict
    services.act(
        complaint.pk, by=actor, action="dispute", data={"reason": "Goes to 12315.", "outside_body": "消费者协会"}
    )
    complaint.refresh_from_db()
    assert complaint.level == Level.OUTSIDE_BODY
    assert complaint.outside_body == "消费者协会"
    assert not ComplaintDeadline.objects.filter(complaint=complaint, state="pending").exists()
    climbs = list(complaint.events.filter(kind="escalated").values_list("data__from", "data__to"))
    assert climbs == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_the_offer_the_customer_disputed_is_kept_as_history_not_as_the_current_offer(responder, handler, manager):
    complaint = log(responder)
    _handle_to_agreed(complaint, handler, compensation="800")
    services.act(complaint.pk, by=handler, action="dispute", data={"reason": "Not enough."})
    complaint.refresh_from_db()
    assert (complaint.solution, complaint.options, complaint.compensation) == ("", "", None)
    assert complaint.facts  # the verified facts stay: the level above starts from them
    climb = complaint.events.get(kind="escalated")
    assert climb.data["superseded"]["compensation"] == "800.00"
    assert climb.data["superseded"]["solution"]
    # the level above proposes afresh, and its own offer is the one on the form
    _handle_to_agreed(complaint, manager, compensation="1500")
    complaint.refresh_from_db()
    assert complaint.compensation == Decimal("1500")


def test_a_missed_time_limit_climbs_one_rung_exactly_once(responder, handler, manager):
    complaint = log(responder)
    ack = complaint.deadlines.get(kind="acknowledge")
    alarms_of(ack).update(fire_at=ack.due_at.replace(year=2020))
    assert clock.sweep() == 2  # the reminder and the breach
    assert clock.sweep() == 0
    complaint.refresh_from_db()
    assert complaint.level == Level.BUSINESS_MANAGER
    ack.refresh_from_db()
    assert ack.state == "breached"
    assert complaint.events.filter(kind="escalated").count() == 1
    assert complaint.events.filter(kind="breach").count() == 1
    # the rung it came from hears of the breach; the new rung that the complaint is now theirs
    told = set(about("complaint", complaint).filter(event="deadline_breached").values_list("recipient", flat=True))
    assert handler.pk in told and manager.pk not in told
    escalated = about("complaint", complaint).filter(event="complaint_escalated", channel="in_app")
    assert list(escalated.values_list("recipient", flat=True)) == [manager.pk]
    assert "acknowledge was missed" in escalated.get().body
    assert about("complaint", complaint).filter(event="deadline_reminder", recipient=handler).exists()


def test_a_stale_alarm_of_an_acknowledged_complaint_does_nothing(responder, handler):
    complaint = log(responder)
    breach = alarms_of(complaint.deadlines.get(kind="acknowledge")).get(kind="breach")
    services.act(complaint.pk, by=handler, action="acknowledge")
    assert clock.handle(breach.pk, token=str(breach.token), via="eta") is False
    complaint.refresh_from_db()
    assert complaint.level == Level.HANDLER


# --- Replies to the customer: quiet hours -------------------------------------------------------------


@pytest.mark.parametrize(
    "method,requested,urgent,expected",
    [
        ("phone", at(2026, 11, 24, 22, 0), False, at(2026, 11, 25, 9, 0)),  # Tuesday night → Wednesday 9:00
        ("phone", at(2026, 11, 24, 7, 30), False, at(2026, 11, 24, 9, 0)),  # early morning → opening time
        ("phone", at(2026, 11, 24, 14, 0), False, at(2026, 11, 24, 14, 0)),  # business hours: as asked
        ("phone", at(2026, 11, 28, 10, 0), False, at(2026, 11, 30, 9, 0)),  # Saturday → Monday
        ("phone", at(2026, 12, 31, 19, 0), False, at(2027, 1, 4, 9, 0)),  # New Year holiday
        ("phone", at(2026, 11, 24, 22, 0), True, at(2026, 11, 24, 22, 0)),  # urgent, or agreed
        ("written", at(2026, 11, 24, 22, 0), False, at(2026, 11, 24, 22, 0)),  # a letter may be sent any time
    ],
)
def test_phone_replies_are_only_scheduled_in_business_hours(responder, handler, method, requested, urgent, expected):
    from unittest import mock

    complaint = log(responder)
    with mock.patch("django.utils.timezone.now", return_value=at(2026, 11, 24, 6, 0)):
        reply = services.schedule_reply(
            complaint.pk, by=handler, method=method, at=requested, urgent=urgent, promised="Call back."
        )
    assert reply.scheduled_for.astimezone(SH) == expected
    assert reply.moved_to_business_hours is (expected != requested)
    assert reply.deadline.due_at == reply.scheduled_for


def test_recording_the_reply_given_meets_its_deadline(responder, handler):
    complaint = log(responder)
    reply = services.schedule_reply(complaint.pk, by=handler, method="phone", at="2030-01-07T10:00:00+08:00")
    services.record_reply(reply.pk, by=handler, given="Told the customer the repair date.")
    reply.refresh_from_db()
    assert reply.done_at is not None and reply.deadline.state == "met"
    assert not pending_of(reply.deadline).exists()
    with pytest.raises(RuleBroken):
        services.record_reply(reply.pk, by=handler, given="Again.")


def test_bad_reply_requests_are_refused(api, responder, handler):
    complaint = log(responder)
    client = api.as_user(handler)
    for bad in (
        {"method": "pigeon", "at": "2030-01-07T10:00:00+08:00"},
        {"method": "phone", "at": "tomorrow"},
        {"method": "phone", "at": "2020-01-07T10:00:00+08:00"},
        {"method": "phone", "at": "9999-12-31T08:00:00"},  # overflowed the working-day calendar: a 500
        {"method": "phone", "at": "9999-12-30T12:00:00+14:00"},
        {"method": "email", "at": "2099-01-01T10:00:00+08:00"},  # years ahead is a typing mistake
        {"method": "phone", "at": "2030-01-07T10:00:00+08:00", "urgent": "yes please"},
    ):
        response = client.post(f"/api/complaints/{complaint.pk}/replies/", bad, format="json")
        assert response.status_code == 400, (bad, response.json())
    assert not complaint.replies.exists()


# --- API steps, attachments ------------------------------------------------------------------------


def test_api_steps_and_their_errors(api, responder, handler):
    complaint = log(responder)
    url = f"/api/complaints/{complaint.pk}"
    assert api.as_user(responder).post(f"{url}/acknowledge/", {}, format="json").status_code == 403
    client = api.as_user(handler)
    assert client.post(f"{url}/teleport/", {}, format="json").status_code == 404
    assert client.post(f"{url}/implement/", {}, format="json").status_code == 409
    response = client.post(f"{url}/acknowledge/", {"note": "Called the customer."}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged"
    assert response.json()["allowed_actions"] == ["investigate"]
    assert client.post(f"{url}/investigate/", ["x"], format="json").status_code == 400
    response = client.post(f"{url}/follow_up/", {"satisfaction": "very"}, format="json")
    assert response.status_code in (400, 409)
    assert api.as_user(handler).get("/api/complaints/999999/").status_code == 404


def test_attachments_are_checked_and_kept_from_outsiders(api, responder, handler, pr, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    complaint = log(responder)
    client = api.as_user(responder)  # whoever logged it may attach
    photo = SimpleUploadedFile("leak.jpg", b"\xff\xd8\xff" + b"0" * 100, content_type="image/jpeg")
    response = client.post(f"/api/complaints/{complaint.pk}/attachments/", {"file": photo}, format="multipart")
    assert response.status_code == 201, response.json()
    attachment_id = response.json()["id"]
    bad = SimpleUploadedFile("run.exe", b"MZ" + b"0" * 10)
    assert (
        client.post(f"/api/complaints/{complaint.pk}/attachments/", {"file": bad}, format="multipart").status_code
        == 400
    )
    empty = SimpleUploadedFile("empty.pdf", b"")
    assert (
        client.post(f"/api/complaints/{complaint.pk}/attachments/", {"file": empty}, format="multipart").status_code
        == 400
    )
    assert client.post(f"/api/complaints/{complaint.pk}/attachments/", {}, format="multipart").status_code == 400
    assert complaint.attachments.count() == 1
    assert api.as_user(pr).get(f"/api/attachments/{attachment_id}/").status_code == 403
    assert not ComplaintView.objects.exists()
    download = api.as_user(handler).get(f"/api/attachments/{attachment_id}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\xff\xd8\xff")
    # an attachment may hold personal details: opening it is on the access log
    assert list(ComplaintView.objects.values_list("user", "via")) == [(handler.pk, "api-file")]


def test_an_outsider_learns_nothing_about_the_file_before_being_refused(api, responder, pr, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    complaint = log(responder)
    client = api.as_user(pr)
    for upload in (SimpleUploadedFile("run.exe", b"MZ"), SimpleUploadedFile("empty.pdf", b""), None):
        payload = {"file": upload} if upload else {}
        response = client.post(f"/api/complaints/{complaint.pk}/attachments/", payload, format="multipart")
        assert response.status_code == 403, response.json()
    with pytest.raises(NotAllowed):
        services.add_attachment(complaint.pk, by=pr, upload=SimpleUploadedFile("x.exe", b"MZ"))
    assert not complaint.attachments.exists()


def test_volume_counts_per_day_and_category(responder):
    log(responder, category="repair")
    log(responder, category="repair")
    log(responder, category="price_fees", project="Harbour View")
    figures = services.volume(days=7)
    assert len(figures["days"]) == 7
    assert figures["series"]["repair"][-1] == 2
    assert figures["totals"][-1] == 3
    assert figures["projects"][0] == {
        "project": "阳光花园 Sunrise Gardens",
        "total": 2,
        "last_24h": 2,
        "by_category": {**{c: 0 for c in figures["series"]}, "repair": 2},
    }


def test_every_step_is_on_the_complaints_log(responder, handler):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    services.act(complaint.pk, by=handler, action="acknowledge", data={"note": "Spoke to the customer."})
    kinds = list(ComplaintEvent.objects.filter(complaint=complaint).values_list("kind", flat=True))
    assert kinds == ["received", "assigned", "step"]
