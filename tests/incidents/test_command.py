"""一个指挥 — one commander, guaranteed by the database and proven under real concurrency."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from config.errors import RuleBroken
from incidents import services
from incidents.models import EntryKind, Incident, Role, RoleAssignment, TimelineEntry
from tests import factories
from tests.concurrency import run_together


def active_commanders(incident):
    return list(RoleAssignment.objects.filter(incident=incident, role=Role.COMMANDER, ended_at__isnull=True))


@pytest.mark.django_db
class TestHandover:
    def test_hand_over_is_one_step_with_both_ends_on_the_timeline(self, incident, commander, commander2):
        services.change_command(incident.pk, by=commander, to=commander2, briefing="Two hurt, site sealed.")
        incident.refresh_from_db()
        assert incident.commander == commander2
        assert [a.user for a in active_commanders(incident)] == [commander2]
        old = RoleAssignment.objects.get(incident=incident, user=commander, role=Role.COMMANDER)
        assert old.ended_at is not None and old.ended_by == commander
        last_two = list(TimelineEntry.objects.filter(incident=incident).order_by("-seq")[:2])
        assert [e.kind for e in reversed(last_two)] == [EntryKind.ROLE_ENDED, EntryKind.COMMAND_HANDOVER]
        # The briefing is written once, on the hand-over (the war room showed it twice).
        assert [e.text for e in reversed(last_two)] == ["", "Two hurt, site sealed."]
        assert last_two[0].data["from"]["id"] == commander.pk
        assert last_two[0].data["user"]["id"] == commander2.pk

    def test_a_hand_over_needs_a_briefing(self, incident, commander, commander2):
        with pytest.raises(ValidationError) as exc:
            services.change_command(incident.pk, by=commander, to=commander2, briefing="  ")
        assert "briefing" in exc.value.message_dict
        incident.refresh_from_db()
        assert incident.commander == commander

    def test_only_the_commander_or_an_admin_hands_over(self, incident, commander, commander2, pr, admin):
        with pytest.raises(RuleBroken) as exc:
            services.change_command(incident.pk, by=commander2, to=commander2, briefing="mine now")
        assert exc.value.details["commander"]["id"] == commander.pk
        with pytest.raises(PermissionDenied):
            services.change_command(incident.pk, by=pr, to=commander2, briefing="x")
        services.change_command(incident.pk, by=admin, to=commander2, briefing="Relieved by admin.")
        incident.refresh_from_db()
        assert incident.commander == commander2

    def test_target_must_be_able_to_command(self, incident, commander, pr):
        with pytest.raises(ValidationError):
            services.change_command(incident.pk, by=commander, to=pr, briefing="x")

    def test_handing_to_the_current_commander_is_a_conflict(self, incident, commander):
        with pytest.raises(RuleBroken):
            services.change_command(incident.pk, by=commander, to=commander, briefing="x")

    def test_command_cannot_be_simply_dropped(self, incident):
        assignment = active_commanders(incident)[0]
        with pytest.raises(RuleBroken):
            services.end_role(assignment.pk, by=incident.commander)

    def test_spokesperson_is_single_too(self, incident, commander, pr, responder):
        services.assign_role(incident.pk, by=commander, user=pr, role=Role.SPOKESPERSON)
        services.assign_role(incident.pk, by=commander, user=responder, role=Role.SPOKESPERSON)
        incident.refresh_from_db()
        assert incident.spokesperson == responder
        assert (
            RoleAssignment.objects.filter(incident=incident, role=Role.SPOKESPERSON, ended_at__isnull=True).count() == 1
        )

    def test_closed_incidents_keep_their_commander(self, incident, commander, commander2):
        for name in ("activate", "resolve", "close"):
            services.transition_incident(incident.pk, by=commander, name=name, note="Done.")
        with pytest.raises(RuleBroken):
            services.change_command(incident.pk, by=commander, to=commander2, briefing="x")


@pytest.mark.django_db
def test_the_database_itself_refuses_a_second_active_commander(incident, commander2):
    """Even a writer that skips the services cannot create a second commander."""
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(incident=incident, user=commander2, role=Role.COMMANDER)


@pytest.mark.django_db
def test_the_database_refuses_a_second_active_spokesperson(incident, pr, responder):
    RoleAssignment.objects.create(incident=incident, user=pr, role=Role.SPOKESPERSON)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(incident=incident, user=responder, role=Role.SPOKESPERSON)


@pytest.mark.django_db(transaction=True)
def test_concurrent_hand_overs_exactly_one_wins():
    commander = factories.commander_user()
    targets = [factories.commander_user() for _ in range(6)]
    incident = factories.declare(commander, commander=commander)
    for _round in range(3):
        current = Incident.objects.get(pk=incident.pk).commander
        candidates = [t for t in targets if t != current][:5]
        outcomes = run_together(
            [
                lambda t=t, current=current: services.change_command(
                    incident.pk, by=current, to=t, briefing="Situation report."
                )
                for t in candidates
            ]
        )
        wins = [o for o in outcomes if o[0] == "ok"]
        losses = [o for o in outcomes if o[0] == "error"]
        assert len(wins) == 1, outcomes
        assert all(isinstance(exc, RuleBroken) for _, exc in losses), losses
        assert all("commands this incident now" in exc.message for _, exc in losses)
        winner = wins[0][1].commander
        assert [a.user for a in active_commanders(incident)] == [winner]
        assert Incident.objects.get(pk=incident.pk).commander == winner


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_on_a_leaderless_incident_exactly_one_wins():
    reporter = factories.responder_user()
    claimants = [factories.commander_user() for _ in range(6)]
    incident = factories.declare(reporter)
    outcomes = run_together([lambda c=c: services.change_command(incident.pk, by=c, to=c) for c in claimants])
    assert sum(1 for kind, _ in outcomes if kind == "ok") == 1, outcomes
    assert all(isinstance(v, RuleBroken) for kind, v in outcomes if kind == "error")
    assert len(active_commanders(incident)) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are a PostgreSQL matter")
def test_second_hand_over_waits_for_the_first_and_then_conflicts():
    """Deterministic interleaving on PostgreSQL: B starts while A holds the lock, and loses."""
    import threading
    import time

    from django.db import connections

    commander = factories.commander_user()
    first, second = factories.commander_user(), factories.commander_user()
    incident = factories.declare(commander, commander=commander)
    a_locked, release_a = threading.Event(), threading.Event()
    outcome = {}

    def a():
        try:
            with transaction.atomic():
                services.lock_incident(incident.pk)
                a_locked.set()
                release_a.wait(10)
                services.change_command(incident.pk, by=commander, to=first, briefing="A")
            outcome["a"] = "ok"
        finally:
            connections.close_all()

    def b():
        try:
            services.change_command(incident.pk, by=commander, to=second, briefing="B")
            outcome["b"] = "ok"
        except RuleBroken as exc:
            outcome["b"] = exc
        finally:
            connections.close_all()

    ta = threading.Thread(target=a)
    ta.start()
    assert a_locked.wait(10)
    tb = threading.Thread(target=b)
    tb.start()
    # Wait until B is really blocked on A's row lock before letting A commit.
    with connections["default"].cursor() as cur:
        for _ in range(100):
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cur.fetchone()[0] >= 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("B never waited for A's lock")
    release_a.set()
    ta.join(10)
    tb.join(10)
    assert outcome["a"] == "ok"
    assert isinstance(outcome["b"], RuleBroken)
    assert Incident.objects.get(pk=incident.pk).commander == first
