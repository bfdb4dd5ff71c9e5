"""Complaint craft from the seeds (issue 15, item 8): frequent complainers found by their phone
number, the staff member complained about kept off the case, the report to the supervisor before a
complaint closes (LASTR's "R"), written replies confirmed by a manager before they go, the 接待 and
多元 categories, and time-limit profiles in calendar days with senior management's extension."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from config.errors import NotAllowed, RuleBroken
from incidents.clock.models import AlarmKind
from incidents.complaints import defaults, ladder, services
from incidents.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintDeadline,
    ComplaintEvent,
    ComplaintEventKind,
    ComplaintReply,
    ComplaintState,
    DayUnit,
    Level,
    ReplyMethod,
    TimeLimitProfile,
    Trigger,
    phone_key_of,
)
from incidents.models import Incident
from tests import factories
from tests.alarms import pending_of

from .complaint_helpers import body, handler_user, ladder_user, log, manager_user, no_rules, only_rule

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_escalation_rules():
    no_rules()


@pytest.fixture(autouse=True)
def _profiles():
    """The profiles the migrations ship (a transactional test elsewhere may have flushed them)."""
    defaults.create_default_time_limits(TimeLimitProfile)
    defaults.create_banking_profile(TimeLimitProfile)


@pytest.fixture
def handler():
    return handler_user()


@pytest.fixture
def manager():
    return manager_user()


@pytest.fixture
def senior():
    return ladder_user(Level.SENIOR_MANAGEMENT)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def in_force() -> TimeLimitProfile:
    return TimeLimitProfile.objects.get(in_force=True)


def banking() -> TimeLimitProfile:
    return TimeLimitProfile.objects.get(name=defaults.BANKING_PROFILE["name"])


def switch_to(profile: TimeLimitProfile) -> None:
    TimeLimitProfile.objects.update(in_force=False)
    TimeLimitProfile.objects.filter(pk=profile.pk).update(in_force=True)


def frequent(complaint: Complaint) -> bool:
    complaint.refresh_from_db(fields=["vip"])
    return "frequent_complainer" in complaint.vip


def handle_to_followed_up(complaint, handler):
    services.act(complaint.pk, by=handler, action="acknowledge")
    services.act(complaint.pk, by=handler, action="investigate", data={"facts": "Pipe joint failed."})
    services.act(complaint.pk, by=handler, action="propose", data={"root_cause": "Bad fitting.", "solution": "Fix."})
    services.act(complaint.pk, by=handler, action="agree")
    services.act(complaint.pk, by=handler, action="implement")
    services.act(complaint.pk, by=handler, action="follow_up", data={"satisfaction": 5})


# --- 1. Frequent complainers, found by their phone number -----------------------------------------


@pytest.mark.parametrize(
    "phone,key",
    [
        ("13912345678", "13912345678"),
        ("+86 139 1234 5678", "13912345678"),
        ("139-1234-5678", "13912345678"),
        ("(0086) 139 1234 5678", "13912345678"),
        ("１３９１２３４５６７８", "13912345678"),  # full-width digits, as a Chinese keyboard types them
        ("010-87654321", "01087654321"),
        ("87654321", "87654321"),  # shorter than 11 digits: the whole number
        ("", ""),
        ("  ", ""),
    ],
)
def test_phone_numbers_are_compared_by_their_last_eleven_digits(phone, key):
    assert phone_key_of(phone) == key


def test_the_third_complaint_from_the_same_phone_within_the_window_is_flagged_and_logged(responder):
    first = log(responder, customer_phone="139 1234 5678")
    second = log(responder, customer_phone="+86 139-1234-5678")
    log(responder, customer_phone="13800000000")  # someone else
    log(responder, customer_phone="")  # no number: never counted, never flagged
    assert not frequent(first) and not frequent(second)
    assert not ComplaintEvent.objects.filter(kind=ComplaintEventKind.FREQUENT).exists()

    third = log(responder, customer_phone="8613912345678")
    assert frequent(third)
    event = third.events.get(kind=ComplaintEventKind.FREQUENT)
    assert event.data == {"earlier": 2, "days": 90, "threshold": 3}
    assert list(third.events.values_list("kind", flat=True)[:2]) == ["received", "frequent"]
    # A hand-set flag is kept alongside; others' flags are untouched.
    fourth = log(responder, customer_phone="13912345678", vip=["large_buyer"])
    fourth.refresh_from_db()
    assert fourth.vip == ["frequent_complainer", "large_buyer"]
    assert fourth.events.get(kind=ComplaintEventKind.FREQUENT).data["earlier"] == 3


def test_complaints_outside_the_window_do_not_count_and_the_profile_sets_the_window(responder):
    now = timezone.now()
    for days_ago in (100, 95):
        log(responder, received_at=(now - timedelta(days=days_ago)).isoformat())
    assert not frequent(log(responder))  # the default window is 90 days

    profile = in_force()
    profile.frequent_complainer_days = 120
    profile.save()
    assert frequent(log(responder))


def test_the_profile_sets_how_many_make_a_frequent_complainer(responder):
    profile = in_force()
    profile.frequent_complainer_count = 2
    profile.save()
    log(responder)
    assert frequent(log(responder))


def test_without_a_phone_number_nobody_is_a_frequent_complainer(responder):
    complaints = [log(responder, customer_phone="") for _ in range(4)]
    assert not any(frequent(c) for c in complaints)


def test_a_vip_rule_listing_frequent_complainers_fires_on_the_detected_flag(api, responder):
    only_rule(Trigger.VIP, vip_flags=["frequent_complainer"], crisis_kind="owner_protest")
    client = api.as_user(responder)
    answers = [client.post("/api/complaints/", body(), format="json").json() for _ in range(3)]
    assert [a["incident"] for a in answers[:2]] == [None, None]
    incident = Incident.objects.get()
    assert answers[2]["incident"] == incident.pk
    assert "frequent_complainer" in answers[2]["vip"]
    assert Complaint.objects.get(pk=answers[2]["id"]).escalation_rule.trigger == Trigger.VIP


def test_intake_counts_the_same_callers_complaints_with_one_indexed_query(responder):
    log(responder)
    with CaptureQueriesContext(connection) as queries:
        log(responder)
    counting = [q["sql"] for q in queries.captured_queries if '"phone_key"' in q["sql"] and "COUNT" in q["sql"]]
    assert len(counting) == 1, counting
    with connection.cursor() as cursor:
        index = connection.introspection.get_constraints(cursor, Complaint._meta.db_table)["complaint_phone"]
    assert index["index"] and index["columns"] == ["phone_key", "received_at"]
    if connection.vendor == "sqlite":
        now = timezone.now()
        plan = Complaint.objects.filter(
            phone_key="13912345678", received_at__gte=now - timedelta(days=90), received_at__lte=now
        ).explain()
        assert "complaint_phone" in plan, plan


def test_the_data_migration_gives_older_complaints_their_phone_key_and_profile(responder):
    older = log(responder, customer_phone="+86 139 1234 5678")
    silent = log(responder, customer_phone="")
    Complaint.objects.update(phone_key="", time_limits=None)
    assert defaults.fill_phone_keys(Complaint, batch=1) == 1
    older.refresh_from_db()
    silent.refresh_from_db()
    assert (older.phone_key, silent.phone_key) == ("13912345678", "")
    assert older.time_limits == silent.time_limits == in_force()


# --- 2. The staff member complained about is kept off the case -------------------------------------


def test_intake_names_the_staff_member_complained_about(api, responder, handler):
    response = api.as_user(responder).post("/api/complaints/", body(complained_about=handler.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["complained_about"]["id"] == handler.pk
    assert Complaint.objects.get().complained_about == handler


@pytest.mark.parametrize("value", [999_999, "abc", True, 2**40, -1, [1], {"id": 1}, "inactive"])
def test_a_bad_staff_member_complained_about_is_a_field_error_and_changes_nothing(api, responder, value):
    if value == "inactive":
        value = factories.responder_user(is_active=False).pk
    response = api.as_user(responder).post("/api/complaints/", body(complained_about=value), format="json")
    assert response.status_code == 400, response.json()
    assert "complained_about" in response.json()["errors"]
    assert not Complaint.objects.exists()


@override_settings(CRISIS_COMPLAINT_APPROVAL_ABOVE=Decimal("5000"))
def test_the_person_complained_about_may_not_take_act_answer_or_approve(api, responder, handler, manager):
    complaint = log(responder, complained_about=manager.pk)
    kept_off = "This complaint is about you"
    with pytest.raises(NotAllowed, match=kept_off):
        services.take(complaint.pk, by=manager)
    with pytest.raises(NotAllowed, match=kept_off):
        services.act(complaint.pk, by=manager, action="acknowledge")
    with pytest.raises(NotAllowed, match=kept_off):
        services.schedule_reply(complaint.pk, by=manager, method="phone", at="2030-01-07T10:00:00+08:00")
    assert services.allowed_actions(complaint, manager) == []
    assert services.personal_details(complaint, manager, via="api")["masked"] is True
    refused = api.as_user(manager).post(f"/api/complaints/{complaint.pk}/take/", {}, format="json")
    assert refused.status_code == 403 and kept_off in refused.json()["detail"]

    # A promise beyond the handler's authority: the manager it is about may not approve it.
    services.act(complaint.pk, by=handler, action="acknowledge")
    services.act(complaint.pk, by=handler, action="investigate", data={"facts": "Rude at the front desk."})
    services.act(
        complaint.pk,
        by=handler,
        action="propose",
        data={"root_cause": "No training.", "solution": "Apology and voucher.", "compensation": "6000"},
    )
    with pytest.raises(NotAllowed, match=kept_off):
        services.act(complaint.pk, by=manager, action="approve")
    other_manager = manager_user()
    complaint.refresh_from_db()
    assert services.allowed_actions(complaint, manager) == []
    assert "approve" in services.allowed_actions(complaint, other_manager)
    services.act(complaint.pk, by=other_manager, action="approve")
    complaint.refresh_from_db()
    assert complaint.approved_by == other_manager
    assert complaint.handler == handler


def test_the_database_refuses_the_person_complained_about_as_handler(responder, handler):
    complaint = log(responder, complained_about=handler.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(handler=handler)
    other = log(responder)
    Complaint.objects.filter(pk=other.pk).update(handler=handler)  # anyone else's: fine


def test_a_business_manager_names_the_person_later_and_they_lose_the_case(api, responder, handler, manager):
    complaint = log(responder)
    services.take(complaint.pk, by=handler)
    with pytest.raises(NotAllowed):  # a handler does not say whom the complaint is about
        services.set_complained_about(complaint.pk, by=handler, user=handler.pk)

    response = api.as_user(manager).post(
        f"/api/complaints/{complaint.pk}/complained-about/",
        {"user": handler.pk, "note": "The customer means the handler."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["complained_about"]["id"] == handler.pk
    assert response.json()["handler"] is None
    complaint.refresh_from_db()
    assert (complaint.complained_about, complaint.handler) == (handler, None)
    event = complaint.events.get(kind=ComplaintEventKind.COMPLAINED_ABOUT)
    assert event.actor == manager and event.data["handler_removed"] is True
    assert event.text == "The customer means the handler."
    with pytest.raises(NotAllowed, match="This complaint is about you"):
        services.act(complaint.pk, by=handler, action="acknowledge")
    # They cannot clear it themselves either, even from a higher rung.
    handler.groups.add(*manager.groups.all())
    handler = type(handler).objects.get(pk=handler.pk)
    with pytest.raises(NotAllowed):
        services.set_complained_about(complaint.pk, by=handler, user=None)
    # A manager clears it (a mistake): the complaint is about nobody in particular.
    cleared = api.as_user(manager).post(
        f"/api/complaints/{complaint.pk}/complained-about/", {"user": None}, format="json"
    )
    assert cleared.status_code == 200 and cleared.json()["complained_about"] is None


@pytest.mark.parametrize("payload", [{}, {"user": "x"}, {"user": 999_999}, {"user": 1, "note": {"a": 1}}, ["user"]])
def test_naming_the_person_with_bad_input_is_a_400_and_changes_nothing(api, responder, manager, payload):
    complaint = log(responder)
    response = api.as_user(manager).post(f"/api/complaints/{complaint.pk}/complained-about/", payload, format="json")
    assert response.status_code == 400, response.json()
    assert not ComplaintEvent.objects.filter(kind=ComplaintEventKind.COMPLAINED_ABOUT).exists()


def test_only_a_business_manager_or_higher_names_the_person_over_the_api(api, responder, handler):
    complaint = log(responder)
    url = f"/api/complaints/{complaint.pk}/complained-about/"
    assert api.as_user(handler).post(url, {"user": handler.pk}, format="json").status_code == 403
    assert api.as_user(responder).post(url, {"user": "junk"}, format="json").status_code == 403  # before the body


# --- 3. The report to the supervisor before closing (LASTR's "R") ---------------------------------


@pytest.mark.parametrize(
    "data,fields",
    [
        ({}, {"report_class"}),
        ({"report_class": 3}, {"report_class"}),
        ({"report_class": True}, {"report_class"}),
        ({"report_class": 1}, {"reported_to"}),  # told orally: who was told
        ({"report_class": "1", "reported_to": "  "}, {"reported_to"}),
        ({"report_class": 2, "reported_to": "Branch head Li"}, {"report_text"}),  # in writing: the report
        ({"report_class": 2, "report_text": "x" * 10_001}, {"report_text"}),
    ],
)
def test_closing_needs_the_report_to_the_supervisor(responder, handler, data, fields):
    complaint = log(responder)
    handle_to_followed_up(complaint, handler)
    with pytest.raises(ValidationError) as refused:
        services.act(complaint.pk, by=handler, action="close", data=data)
    assert set(refused.value.message_dict) == fields
    complaint.refresh_from_db()
    assert complaint.state == ComplaintState.FOLLOWED_UP and complaint.report_class is None


def test_a_category_1_report_records_who_was_told(api, responder, handler):
    complaint = log(responder)
    handle_to_followed_up(complaint, handler)
    client = api.as_user(handler)
    url = f"/api/complaints/{complaint.pk}/close/"
    refused = client.post(url, {"report_class": 1}, format="json")
    assert refused.status_code == 400 and "reported_to" in refused.json()["errors"]
    done = client.post(url, {"report_class": 1, "reported_to": "Manager Sun", "note": "Told at 5pm."}, format="json")
    assert done.status_code == 200, done.json()
    data = done.json()
    assert (data["state"], data["report_class"], data["reported_to"]) == ("closed", 1, "Manager Sun")
    assert data["reported_at"] is not None
    close = ComplaintEvent.objects.get(complaint=complaint, kind="step", data__action="close")
    assert close.data["report_class"] == 1 and close.data["reported_to"] == "Manager Sun"


def test_a_category_2_report_is_written(responder, handler):
    complaint = log(responder)
    handle_to_followed_up(complaint, handler)
    report = "Leak fixed; root cause bad fittings in block 3; all joints checked at handover from now on."
    services.act(complaint.pk, by=handler, action="close", data={"report_class": "2", "report_text": report})
    complaint.refresh_from_db()
    assert (complaint.state, complaint.report_class, complaint.report_text) == ("closed", 2, report)
    assert complaint.reported_at == complaint.closed_at


def test_a_complaint_not_ready_to_close_says_so_before_asking_for_the_report(responder, handler):
    complaint = log(responder)
    with pytest.raises(RuleBroken, match="not possible"):
        services.act(complaint.pk, by=handler, action="close", data={})


# --- 4. Written replies are confirmed by a manager before they go --------------------------------


def written(complaint, handler, text="Dear Mr Wang, the joint will be replaced on Monday."):
    return services.schedule_reply(
        complaint.pk, by=handler, method="written", at="2030-01-07T10:00:00+08:00", text=text
    )


def test_written_replies_are_labelled_letter_or_fax():
    assert ReplyMethod.WRITTEN.label == "Written reply (letter, fax)"


def test_a_written_reply_goes_only_with_the_text_a_manager_confirmed(responder, handler, manager):
    complaint = log(responder)
    reply = written(complaint, handler)
    with pytest.raises(RuleBroken, match="confirmed"):
        services.record_reply(reply.pk, by=handler, given="")
    with pytest.raises(NotAllowed):  # a front-line handler does not confirm
        services.confirm_reply(reply.pk, by=handler, text=reply.text)

    services.confirm_reply(reply.pk, by=manager, text=reply.text)
    reply.refresh_from_db()
    assert reply.is_confirmed and reply.confirmed_by == manager and reply.confirmed_text == reply.text
    with pytest.raises(RuleBroken, match="not the text that was confirmed"):
        services.record_reply(reply.pk, by=handler, given="Dear Mr Wang, we will pay you 10,000 yuan.")
    services.record_reply(reply.pk, by=handler)  # goes with the confirmed text
    reply.refresh_from_db()
    assert reply.given == reply.confirmed_text and reply.done_at is not None
    assert reply.deadline.state == "met" and not pending_of(reply.deadline).exists()
    kinds = list(complaint.events.filter(data__reply=reply.pk).values_list("kind", flat=True))
    assert kinds == ["reply", "reply_confirmed", "reply"]


def test_changing_the_text_after_confirmation_needs_confirming_again(responder, handler, manager):
    complaint = log(responder)
    reply = written(complaint, handler)
    services.confirm_reply(reply.pk, by=manager, text=reply.text)
    services.reply_text(reply.pk, by=handler, text="Dear Mr Wang, the joint will be replaced on Tuesday.")
    reply.refresh_from_db()
    assert not reply.is_confirmed
    assert complaint.events.get(kind="reply", data__text_changed=True).data["confirmation_lapsed"] is True
    with pytest.raises(RuleBroken):
        services.record_reply(reply.pk, by=handler)
    # The manager may correct the text as they confirm it: what they send is what is confirmed.
    services.confirm_reply(reply.pk, by=manager, text="Dear Mr Wang, the joint will be replaced on Tuesday 9:00.")
    services.record_reply(reply.pk, by=handler, given="Dear Mr Wang, the joint will be replaced on Tuesday 9:00.")
    assert ComplaintReply.objects.get(pk=reply.pk).given.endswith("Tuesday 9:00.")


def test_the_person_complained_about_does_not_confirm_a_reply(responder, handler, manager):
    complaint = log(responder, complained_about=manager.pk)
    reply = written(complaint, handler)
    with pytest.raises(NotAllowed, match="This complaint is about you"):
        services.confirm_reply(reply.pk, by=manager, text=reply.text)


def test_phone_replies_need_no_confirmation_and_have_no_text_to_confirm(responder, handler, manager):
    complaint = log(responder)
    with pytest.raises(ValidationError) as refused:
        services.schedule_reply(
            complaint.pk, by=handler, method="phone", at="2030-01-07T10:00:00+08:00", text="A letter?"
        )
    assert "text" in refused.value.message_dict
    reply = services.schedule_reply(complaint.pk, by=handler, method="phone", at="2030-01-07T10:00:00+08:00")
    with pytest.raises(RuleBroken):
        services.confirm_reply(reply.pk, by=manager, text="Anything")
    with pytest.raises(ValidationError):
        services.record_reply(reply.pk, by=handler, given="")  # what was said is still required
    services.record_reply(reply.pk, by=handler, given="Told the customer the repair date.")


def test_written_replies_over_the_api(api, responder, handler, manager):
    complaint = log(responder)
    scheduled = api.as_user(handler).post(
        f"/api/complaints/{complaint.pk}/replies/",
        {"method": "written", "at": "2030-01-07T10:00:00+08:00", "text": "Dear Mr Wang, …"},
        format="json",
    )
    assert scheduled.status_code == 201, scheduled.json()
    rid = scheduled.json()["id"]
    assert scheduled.json()["needs_confirmation"] is True and scheduled.json()["is_confirmed"] is False

    def handler_client():
        return api.as_user(handler)

    def manager_client():
        return api.as_user(manager)

    assert handler_client().post(f"/api/replies/{rid}/given/", {}, format="json").status_code == 409
    assert handler_client().post(f"/api/replies/{rid}/confirm/", {"text": "x"}, format="json").status_code == 403
    assert handler_client().post(f"/api/replies/{rid}/text/", {"text": ""}, format="json").status_code == 400
    assert manager_client().post(f"/api/replies/{rid}/confirm/", ["text"], format="json").status_code == 400
    text = handler_client().post(f"/api/replies/{rid}/text/", {"text": "Dear Mr Wang, Monday."}, format="json")
    assert text.status_code == 200 and text.json()["text"] == "Dear Mr Wang, Monday."
    confirmed = manager_client().post(f"/api/replies/{rid}/confirm/", {"text": "Dear Mr Wang, Monday."}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["is_confirmed"] is True and confirmed.json()["confirmed_by"]["id"] == manager.pk
    sent = handler_client().post(f"/api/replies/{rid}/given/", {}, format="json")
    assert sent.status_code == 200 and sent.json()["given"] == "Dear Mr Wang, Monday."
    assert handler_client().post(f"/api/replies/{rid}/text/", {"text": "Later"}, format="json").status_code == 409


# --- 5. The 接待 and 多元 categories -------------------------------------------------------------------


def test_reception_and_multiple_are_categories_everywhere(api, responder):
    client = api.as_user(responder)
    for category in ("reception", "multiple"):
        assert client.post("/api/complaints/", body(category=category), format="json").status_code == 201
    listed = client.get("/api/complaints/", {"category": "reception"}).json()
    assert [c["category"] for c in listed["results"]] == ["reception"]
    figures = services.volume(days=3)
    assert figures["series"]["reception"][-1] == figures["series"]["multiple"][-1] == 1
    schema = client.get("/api/schema/", {"format": "json"}).content.decode()
    assert '"reception"' in schema and '"multiple"' in schema
    assert {"reception", "multiple"} <= set(ComplaintCategory.values)
    assert ComplaintCategory.values[-1] == "other"


# --- 6. Time-limit profiles: calendar days, banking and insurance, extension ------------------------


def test_the_banking_and_insurance_profile_ships_beside_the_default_not_in_force():
    profile = banking()
    assert not profile.in_force
    assert TimeLimitProfile.objects.filter(in_force=True).count() == 1
    assert profile.day_unit == DayUnit.CALENDAR
    assert (profile.resolve_general_working_days, profile.resolve_complex_working_days) == (15, 30)
    assert profile.extension_limit_days == 60
    assert in_force().day_unit == DayUnit.WORKING and in_force().extension_limit_days is None


def test_a_calendar_day_profile_counts_every_day_and_the_complaint_keeps_it(responder, handler):
    switch_to(banking())
    # Received the day before National Day: calendar days run through the holiday.
    general = log(responder, received_at="2026-09-30T10:00:00+08:00")
    complex_ = log(responder, received_at="2026-09-30T10:00:00+08:00", complexity="complex")
    due = {d.kind: d.due_at.astimezone(SH) for d in general.deadlines.all()}
    assert due == {"acknowledge": at(2026, 10, 2, 18), "resolve": at(2026, 10, 15, 18)}
    assert complex_.deadlines.get(kind="resolve").due_at.astimezone(SH) == at(2026, 10, 30, 18)
    assert general.time_limits == banking()

    # An admin switches back: the running complaint keeps its profile, on every rung.
    switch_to(TimeLimitProfile.objects.exclude(pk=banking().pk).get())
    handle_to_followed_up(general, handler)  # its follow-up limit came from its profile too
    services.act(general.pk, by=handler, action="dispute", data={"reason": "Not accepted."})
    general.refresh_from_db()
    assert ladder.limits_for(general) == banking()
    climbed = general.deadlines.get(kind="resolve", state="pending")
    assert climbed.level == Level.BUSINESS_MANAGER
    start = timezone.localtime(general.events.get(kind="escalated").at).date()
    assert timezone.localtime(climbed.due_at).date() == start + timedelta(days=15)
    assert log(responder).time_limits != banking()  # new complaints: the profile in force


def test_senior_management_extends_a_resolution_up_to_the_profiles_limit(api, responder, handler, manager, senior):
    switch_to(banking())
    complaint = log(responder, complexity="complex")
    resolve = complaint.deadlines.get(kind="resolve")
    received = timezone.localtime(complaint.received_at).date()
    assert timezone.localtime(resolve.due_at).date() == received + timedelta(days=30)
    old_breach = pending_of(resolve).get(kind=AlarmKind.BREACH)

    for below in (handler, manager, ladder_user(Level.BRANCH_HEAD), ladder_user(Level.GENERAL_MANAGEMENT)):
        with pytest.raises(NotAllowed, match="senior management"):
            services.extend_resolution(complaint.pk, by=below, days=45, reason="Complex.")
    for days, field in ((61, "days"), (30, "days"), (10, "days"), ("many", "days"), (0, "days")):
        with pytest.raises(ValidationError) as refused:
            services.extend_resolution(complaint.pk, by=senior, days=days, reason="Complex.")
        assert field in refused.value.message_dict, (days, refused.value)
    with pytest.raises(ValidationError) as refused:
        services.extend_resolution(complaint.pk, by=senior, days=45, reason="")
    assert "reason" in refused.value.message_dict
    resolve.refresh_from_db()
    assert timezone.localtime(resolve.due_at).date() == received + timedelta(days=30)  # nothing changed

    response = api.as_user(senior).post(
        f"/api/complaints/{complaint.pk}/extend/",
        {"days": 60, "reason": "Needs the insurer's assessment."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    resolve.refresh_from_db()
    assert resolve.due_at == at(*(received + timedelta(days=60)).timetuple()[:3], 18)
    # The alarm row is the truth: the old breach is cancelled, the new one is at the new time.
    old_breach.refresh_from_db()
    assert old_breach.cancelled_at is not None
    assert pending_of(resolve).get(kind=AlarmKind.BREACH).fire_at == resolve.due_at
    event = complaint.events.get(kind=ComplaintEventKind.EXTENDED)
    assert event.actor == senior and event.text == "Needs the insurer's assessment."
    assert (event.data["days"], event.data["unit"], event.data["profile"]) == (60, "calendar", banking().name)
    assert response.json()["time_limits"]["day_unit"] == "calendar"


def test_the_default_profile_allows_no_extension_and_only_a_running_limit_extends(api, responder, handler, senior):
    complaint = log(responder)
    response = api.as_user(senior).post(
        f"/api/complaints/{complaint.pk}/extend/", {"days": 10, "reason": "More time."}, format="json"
    )
    assert response.status_code == 409 and "allows no extension" in response.json()["detail"]
    assert (
        api.as_user(handler)
        .post(f"/api/complaints/{complaint.pk}/extend/", {"days": "junk"}, format="json")
        .status_code
        == 403
    )  # permission before the body

    switch_to(banking())
    done = log(responder)
    handle_to_followed_up(done, handler)  # implemented: the resolution limit is met
    with pytest.raises(RuleBroken, match="no running resolution limit"):
        services.extend_resolution(done.pk, by=senior, days=40, reason="Too late.")
    assert (
        api.as_user(senior)
        .post(f"/api/complaints/{done.pk}/extend/", {"days": 5000, "reason": "x"}, format="json")
        .status_code
        == 400
    )


def test_an_admin_edits_the_new_profile_fields_and_bad_values_are_refused(client):
    client.force_login(factories.admin_user())
    profile = banking()
    url = f"/admin/complaints/timelimitprofile/{profile.pk}/change/"
    form = {
        "name": profile.name, "day_unit": "calendar", "acknowledge_working_days": "2",
        "resolve_general_working_days": "15", "resolve_complex_working_days": "30",
        "higher_acknowledge_working_days": "2", "higher_resolve_working_days": "15", "extension_limit_days": "45",
        "follow_up_days": "7", "frequent_complainer_count": "4", "frequent_complainer_days": "30",
        "reminder_minutes": "240", "reply_reminder_minutes": "15",
    }  # fmt: skip
    assert client.get(url).status_code == 200
    for field, bad in (
        ("day_unit", "weekly"),
        ("extension_limit_days", "20"),  # shorter than the limits it extends
        ("frequent_complainer_count", "1"),
        ("frequent_complainer_days", "0"),
    ):
        response = client.post(url, {**form, field: bad})
        assert response.status_code == 200, field  # the form again, with the error
        assert TimeLimitProfile.objects.get(pk=profile.pk).extension_limit_days == 60
    # A second profile in force is refused with a clear message, not a database error.
    response = client.post(url, {**form, "in_force": "on"})
    assert response.status_code == 200 and "Another profile is in force" in response.content.decode()
    assert client.post(url, form).status_code == 302
    profile.refresh_from_db()
    assert (profile.extension_limit_days, profile.frequent_complainer_count) == (45, 4)


def test_a_complaint_can_be_extended_on_a_higher_rung_only_up_to_the_limit_from_receipt(responder, handler, senior):
    switch_to(banking())
    complaint = log(responder, received_at=(timezone.now() - timedelta(days=50)).isoformat())
    deadline = ComplaintDeadline.objects.get(complaint=complaint, kind="resolve", state="pending")
    # Its 15 days are long gone (as if the breach had not been swept yet): 55 from receipt is the most.
    with pytest.raises(ValidationError, match="At most 60 days"):
        services.extend_resolution(complaint.pk, by=senior, days=61, reason="More.")
    services.extend_resolution(complaint.pk, by=senior, days=55, reason="More.")
    deadline.refresh_from_db()
    assert deadline.due_at > timezone.now()
