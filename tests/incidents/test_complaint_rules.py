"""Escalation into a crisis: each rule opens exactly one incident, also under concurrent intake, and
the incident's timeline links every complaint that triggered or joined it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from incidents.complaints import services
from incidents.complaints.models import Complaint, EscalationLatch, EscalationRule, Trigger
from incidents.models import EntryKind, Incident, TimelineEntry
from incidents.timeline import describe
from tests.concurrency import run_together

from .complaint_helpers import body, log, no_rules, only_rule

CONCURRENT = 8

# trigger → what makes a complaint match it
MATCHING = {
    Trigger.VIP: {"vip": ["media_reporter"]},
    Trigger.INJURY: {"injury_risk": True},
    Trigger.ONLINE: {"online_spread": True},
    Trigger.MASS: {"mass_complaint": True},
}


def _linked(incident: Incident) -> list[dict]:
    return [e.data for e in TimelineEntry.objects.filter(incident=incident, kind="complaint").order_by("seq")]


@pytest.mark.django_db
@pytest.mark.parametrize("trigger", list(MATCHING))
def test_a_matching_complaint_opens_an_incident_in_the_same_transaction(api, responder, trigger):
    only_rule(trigger, crisis_kind="owner_protest", severity=2)
    response = api.as_user(responder).post("/api/complaints/", body(**MATCHING[trigger]), format="json")
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert response.json()["incident"] == incident.pk
    assert (incident.kind, incident.severity, incident.location) == ("owner_protest", 2, body()["project"])
    assert incident.reported_by == responder  # a responder's complaint can open one: the rule authorises it
    assert [d["action"] for d in _linked(incident)] == ["opened"]
    assert _linked(incident)[0]["complaint"] == response.json()["id"]
    declared = TimelineEntry.objects.get(incident=incident, kind=EntryKind.DECLARED)
    assert declared.data["trigger"]["trigger"] == trigger


@pytest.mark.django_db
@pytest.mark.parametrize("trigger", list(MATCHING))
def test_a_complaint_that_does_not_match_opens_nothing(responder, trigger):
    only_rule(trigger)
    complaint = log(responder, vip=["frequent_complainer", "large_buyer"])
    assert complaint.incident is None
    assert not Incident.objects.exists()


@pytest.mark.django_db
def test_a_disabled_rule_opens_nothing(responder):
    rule = only_rule(Trigger.INJURY)
    rule.enabled = False
    rule.save()
    assert log(responder, injury_risk=True).incident is None


@pytest.mark.django_db
def test_the_first_matching_rule_by_order_decides(responder):
    no_rules()
    EscalationRule.objects.create(
        name_zh="群体", name_en="Mass", trigger="mass", crisis_kind="owner_protest", severity=2, order=20
    )
    EscalationRule.objects.create(
        name_zh="伤害", name_en="Injury", trigger="injury", crisis_kind="site_safety", severity=1, order=10
    )
    complaint = log(responder, injury_risk=True, mass_complaint=True)
    assert complaint.incident.kind == "site_safety"
    assert complaint.escalation_rule.name_en == "Injury"


@pytest.mark.django_db
def test_a_later_complaint_joins_the_open_incident_and_a_closed_one_is_not_reopened(responder, commander):
    only_rule(Trigger.INJURY)
    first = log(responder, injury_risk=True)
    second = log(responder, injury_risk=True)
    other_project = log(responder, injury_risk=True, project="Harbour View")
    assert second.incident == first.incident
    assert other_project.incident != first.incident
    assert [d["action"] for d in _linked(first.incident)] == ["opened", "joined"]

    from incidents import services as incident_services

    incident_services.transition_incident(first.incident.pk, by=commander, name="stand_down", note="False alarm.")
    third = log(responder, injury_risk=True)
    assert third.incident not in (None, first.incident)


@pytest.mark.django_db
def test_without_a_project_each_matching_complaint_opens_its_own_incident(responder):
    only_rule(Trigger.VIP)
    a = log(responder, project="", vip=["media_reporter"])
    b = log(responder, project="", vip=["media_reporter"])
    assert a.incident and b.incident and a.incident != b.incident


@pytest.mark.django_db
def test_the_repeat_rule_counts_the_same_category_at_the_same_project_in_its_window(responder):
    only_rule(Trigger.REPEAT, threshold=3, window_hours=24)
    old = log(responder, category="repair", received_at="2026-11-20T09:00:00+08:00")  # outside the window
    first = log(responder, category="repair")
    assert first.incident is None
    other_category = log(responder, category="price_fees")
    other_project = log(responder, category="repair", project="Elsewhere")
    assert other_category.incident is None and other_project.incident is None
    second = log(responder, category="repair")
    assert second.incident is None  # 2 in the window
    third = log(responder, category="repair")
    assert third.incident is not None
    [entry] = _linked(third.incident)
    assert entry["wave"] == 3 and entry["complaint"] == third.pk
    # the wave as a whole is the cause: its earlier complaints join the incident with the third
    assert entry["wave_complaints"] == [first.pk, second.pk]
    linked = set(Complaint.objects.filter(incident=third.incident).values_list("pk", flat=True))
    assert linked == {first.pk, second.pk, third.pk}
    assert first.events.filter(kind="incident").count() == 1
    incident_page_line = describe("complaint", entry)
    assert f"#{first.pk}, #{second.pk}" in incident_page_line
    for outside in (old, other_category, other_project):
        outside.refresh_from_db()
        assert outside.incident is None


@pytest.mark.django_db
def test_rules_are_checked_when_admins_save_them(admin):
    from incidents.complaints.admin import EscalationRuleForm

    form = EscalationRuleForm(
        data={
            "order": 1,
            "enabled": True,
            "name_zh": "x",
            "name_en": "x",
            "trigger": "vip",
            "crisis_kind": "online_outrage",
            "severity": 9,
            "vip_flags": [],
            "threshold": 1,
            "window_hours": 0,
        }
    )
    assert not form.is_valid()
    assert {"severity", "vip_flags", "threshold", "window_hours"} <= set(form.errors)
    rule = EscalationRule(
        name_zh="x", name_en="x", trigger="vip", crisis_kind="online_outrage", vip_flags=["nobody"], severity=3
    )
    with pytest.raises(ValidationError):
        rule.full_clean()


# --- Under concurrent intake (real threads, real connections; PostgreSQL in CI) ---------------------


def _concurrent_intake(by, n: int, **overrides) -> list[Complaint]:
    outcomes = run_together(
        [lambda i=i: services.intake(by=by, data=body(unit=f"unit-{i}", **overrides)) for i in range(n)]
    )
    errors = [v for kind, v in outcomes if kind != "ok"]
    assert not errors, errors
    return [Complaint.objects.get(pk=v[0].pk) for _, v in outcomes]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("seen_before", [False, True], ids=["first-time", "project-seen-before"])
@pytest.mark.parametrize("trigger", list(MATCHING))
def test_concurrent_matching_complaints_open_exactly_one_incident(trigger, seen_before):
    from .complaint_helpers import handler_user

    reporter = handler_user()
    rule = only_rule(trigger)
    if seen_before:  # the project's latch exists already (an earlier escalation there), so only its lock serialises
        EscalationLatch.objects.create(key=f"{rule.crisis_kind}|{body()['project']}")
    complaints = _concurrent_intake(reporter, CONCURRENT, **MATCHING[trigger])
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert {c.incident_id for c in complaints} == {incident.pk}
    actions = [d["action"] for d in _linked(incident)]
    assert actions.count("opened") == 1 and actions.count("joined") == CONCURRENT - 1
    assert sorted(d["complaint"] for d in _linked(incident)) == sorted(c.pk for c in complaints)
    seqs = list(TimelineEntry.objects.filter(incident=incident).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_wave_opens_exactly_one_incident_when_it_reaches_the_threshold():
    from .complaint_helpers import handler_user

    reporter = handler_user()
    rule = only_rule(Trigger.REPEAT, threshold=5, window_hours=24)
    EscalationLatch.objects.create(key=f"{rule.crisis_kind}|{body()['project']}")
    complaints = _concurrent_intake(reporter, CONCURRENT, category="repair")
    assert Incident.objects.count() == 1
    # the 5th, 6th, 7th and 8th to be counted reached the threshold; the first four did not …
    entries = _linked(Incident.objects.get())
    assert sorted(d["wave"] for d in entries) == list(range(5, CONCURRENT + 1))
    # … and joined it with the one that reached it: every complaint of the wave is linked, once
    assert all(c.incident_id == Incident.objects.get().pk for c in complaints)
    earlier = [pk for d in entries for pk in d.get("wave_complaints", [])]
    assert len(earlier) == len(set(earlier)) == 4
    assert {d["complaint"] for d in entries}.isdisjoint(earlier)


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_idempotency_key_create_one_complaint():
    from .complaint_helpers import handler_user

    reporter = handler_user()
    only_rule(Trigger.INJURY)
    outcomes = run_together(
        [
            lambda: services.intake(by=reporter, data=body(injury_risk=True), idempotency_key="retry-1")
            for _ in range(CONCURRENT)
        ]
    )
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert {v[0].pk for _, v in outcomes} == {Complaint.objects.get().pk}
    assert sum(1 for _, v in outcomes if v[1]) == 1  # exactly one call created it
    assert Incident.objects.count() == 1
