"""The duty roster (值班表, issue 16 item 1): who is on duty as incident commander, primary and
backup, at any moment — daily and weekly rotations, hand-overs on working days only, overrides for
leave and swaps, a kind of crisis with its own rotation — on the board and at `GET /api/duty/`."""

from __future__ import annotations

from datetime import date, datetime, time
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from rest_framework.test import APIClient

from incidents.clock.models import CalendarDay, CalendarDayKind
from incidents.oncall import roster
from incidents.oncall.models import DutyOverride, DutyPosition, DutyRotation, HandoverPeriod, Weekday
from tests import factories

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
PRIMARY, BACKUP = DutyPosition.PRIMARY, DutyPosition.BACKUP


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def rotation(*people, position=PRIMARY, kind="", period=HandoverPeriod.DAILY, starts_on=date(2026, 11, 2), **kw):
    made = DutyRotation.objects.create(
        name=f"{position} {kind or 'all'}",
        position=position,
        crisis_kind=kind,
        period=period,
        handover_time=kw.pop("handover_time", time(9, 0)),
        starts_on=starts_on,
        **kw,
    )
    for turn, person in enumerate(people):
        made.members.create(user=person, order=turn)
    return made


def who(moment, position=PRIMARY, kind=""):
    shift, _following = roster.on_duty(moment, kind)[position]
    return shift.user


@pytest.fixture
def a():
    return factories.commander_user(username="a_lin")


@pytest.fixture
def b():
    return factories.commander_user(username="b_wu")


@pytest.fixture
def c():
    return factories.commander_user(username="c_he")


def test_a_daily_rotation_hands_over_at_its_time_and_wraps_around(a, b, c):
    rotation(a, b, c)  # from Monday 2026-11-02 09:00
    assert who(at(2026, 11, 2, 8, 59)) is None  # before the first shift
    assert who(at(2026, 11, 2, 9, 0)) == a
    assert who(at(2026, 11, 3, 8, 59)) == a
    assert who(at(2026, 11, 3, 9, 0)) == b
    assert who(at(2026, 11, 4, 23, 0)) == c
    assert who(at(2026, 11, 5, 9, 0)) == a  # round again
    shift, following = roster.on_duty(at(2026, 11, 3, 12, 0))[PRIMARY]
    assert (shift.starts_at, shift.ends_at) == (at(2026, 11, 3, 9, 0), at(2026, 11, 4, 9, 0))
    assert following.user == c and following.starts_at == at(2026, 11, 4, 9, 0)


def test_a_weekly_rotation_hands_over_on_its_weekday(a, b):
    # Starts on a Wednesday; hands over on Mondays at 08:30.
    rotation(
        a, b, period=HandoverPeriod.WEEKLY, starts_on=date(2026, 11, 4), handover_weekday=Weekday.MONDAY,
        handover_time=time(8, 30),
    )  # fmt: skip
    assert who(at(2026, 11, 4, 8, 0)) is None
    assert who(at(2026, 11, 8, 20, 0)) == a  # Sunday: still the first shift
    assert who(at(2026, 11, 9, 8, 30)) == b
    assert who(at(2026, 11, 16, 8, 29)) == b
    assert who(at(2026, 11, 16, 8, 30)) == a


def test_working_day_hand_overs_skip_weekends_holidays_and_count_corrections(a, b):
    rotation(a, b, working_days_only=True, starts_on=date(2026, 11, 5))  # Thursday
    assert who(at(2026, 11, 6, 9, 0)) == b  # Friday
    assert who(at(2026, 11, 8, 20, 0)) == b  # Sunday: the shift goes on
    assert who(at(2026, 11, 9, 9, 0)) == a  # Monday
    # An admin's correction wins: Tuesday 2026-11-10 declared a holiday, no hand-over that day.
    CalendarDay.objects.create(date=date(2026, 11, 10), kind=CalendarDayKind.HOLIDAY)
    assert who(at(2026, 11, 10, 12, 0)) == a
    assert who(at(2026, 11, 11, 9, 0)) == b
    # National Day (the State Council's schedule): 2026-10-01 is no hand-over day.
    rotation(a, b, position=BACKUP, working_days_only=True, starts_on=date(2026, 9, 30))
    assert who(at(2026, 10, 1, 12, 0), BACKUP) == a


def test_an_override_puts_someone_else_on_duty_and_ends_the_shift_early(a, b, c):
    duty = rotation(a, b)
    DutyOverride.objects.create(
        rotation=duty, user=c, starts_at=at(2026, 11, 2, 14, 0), ends_at=at(2026, 11, 2, 20, 0), reason="Leave"
    )
    shift, following = roster.on_duty(at(2026, 11, 2, 10, 0))[PRIMARY]
    assert shift.user == a and shift.ends_at == at(2026, 11, 2, 14, 0)  # until the override starts
    assert following.user == c and following.override.reason == "Leave"
    covering, after = roster.on_duty(at(2026, 11, 2, 15, 0))[PRIMARY]
    assert covering.user == c and covering.ends_at == at(2026, 11, 2, 20, 0)
    assert after.user == a  # back to the rotation
    assert who(at(2026, 11, 2, 20, 0)) == a


def test_a_kind_with_its_own_rotation_uses_it_and_other_kinds_the_general_one(a, b, c):
    rotation(a)
    rotation(b, kind="site_safety")
    rotation(c, position=BACKUP)
    moment = at(2026, 11, 2, 12, 0)
    assert who(moment, kind="site_safety") == b
    assert who(moment, kind="online_outrage") == a
    assert who(moment) == a
    assert roster.commanders_on_duty("site_safety", moment) == (b, c)


def test_an_inactive_or_empty_rotation_puts_nobody_on_duty(a):
    rotation(a, active=False)
    rotation(position=BACKUP)
    moment = at(2026, 11, 2, 12, 0)
    assert roster.commanders_on_duty("", moment) == (None, None)


def test_the_database_keeps_the_roster_sound(a, b):
    rotation(a)
    with pytest.raises(IntegrityError), transaction.atomic():
        rotation(b)  # a second active primary rotation for every kind
    duty = DutyRotation.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        duty.members.create(user=a, order=5)  # the same person twice
    with pytest.raises(IntegrityError), transaction.atomic():
        DutyOverride.objects.create(rotation=duty, user=b, starts_at=at(2026, 11, 3), ends_at=at(2026, 11, 2))


def test_the_api_says_who_is_on_duty_now_and_next(api, a, b, responder):
    rotation(a, b)
    rotation(b, position=BACKUP)
    client = api.as_user(responder)
    answer = client.get("/api/duty/", {"at": "2026-11-02T10:00:00+08:00"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["primary"]["username"] == "a_lin" and answer.json()["backup"]["username"] == "b_wu"
    positions = {p["position"]: p for p in answer.json()["positions"]}
    assert positions["primary"]["now"]["user"]["username"] == "a_lin"
    assert positions["primary"]["now"]["ends_at"] == "2026-11-03T09:00:00+08:00"
    assert positions["primary"]["next"]["user"]["username"] == "b_wu"
    assert positions["backup"]["now"]["user"]["username"] == "b_wu"
    assert positions["backup"]["label"] == "Backup commander"
    for bad in ({"kind": "volcano"}, {"at": "yesterday"}, {"at": "1800-01-01T00:00:00Z"}):
        response = client.get("/api/duty/", bad)
        assert response.status_code == 400, (bad, response.content)
    assert APIClient().get("/api/duty/").status_code in (401, 403)


def test_the_admin_edits_rotations_and_refuses_a_bad_override(client, a, b):
    client.force_login(factories.admin_user())
    assert client.get("/admin/oncall/dutyrotation/add/").status_code == 200
    form = {
        "name": "值班 Duty", "position": "primary", "crisis_kind": "", "period": "daily", "handover_time": "09:00",
        "handover_weekday": "0", "starts_on": "2026-11-02", "active": "on",
        "members-TOTAL_FORMS": "2", "members-INITIAL_FORMS": "0", "members-0-order": "0",
        "members-0-user": str(a.pk), "members-1-order": "1", "members-1-user": str(b.pk),
        "overrides-TOTAL_FORMS": "1", "overrides-INITIAL_FORMS": "0", "overrides-0-user": str(b.pk),
        "overrides-0-starts_at_0": "2026-11-03", "overrides-0-starts_at_1": "10:00",
        "overrides-0-ends_at_0": "2026-11-03", "overrides-0-ends_at_1": "09:00", "overrides-0-reason": "swap",
    }  # fmt: skip
    refused = client.post("/admin/oncall/dutyrotation/add/", form)
    assert refused.status_code == 200 and "An override ends after it starts." in refused.content.decode()
    assert not DutyRotation.objects.exists()
    form["overrides-0-ends_at_1"] = "18:00"
    saved = client.post("/admin/oncall/dutyrotation/add/", form)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    assert who(at(2026, 11, 3, 12, 0)) == b and who(at(2026, 11, 3, 8, 0)) == a


def test_the_board_shows_who_is_on_duty_and_the_demo_puts_the_commanders_on_it(commander):
    page = Client()
    page.force_login(commander)
    assert "nobody on the roster" in page.get("/").content.decode()
    call_command("load_demo", stdout=StringIO())
    text = page.get("/").content.decode()
    assert 'id="duty"' in text and "nobody on the roster" not in text
    primary, backup = roster.commanders_on_duty()
    assert (primary.username, backup.username) == ("commander", "commander2")
