"""The rules of one voice held by the database itself, so that no path that skips the services
(a shell, a script, a bulk update) can publish unapproved words or a second current statement;
and the single current voice under concurrent publishing."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from config.errors import RuleBroken
from crisis.voice import services
from crisis.voice.models import Statement, StatementState
from incidents.models import Deadline, DeadlineState, TimelineEntry
from tests import factories
from tests.concurrency import run_together

from .voice_helpers import approved, drafted, in_review, incident_with_playbook, published

pytestmark = pytest.mark.django_db


# --- The shell path: the ORM cannot publish unapproved words ------------------------------------------------


def test_a_bulk_update_cannot_publish_a_draft(pb_incident, pr):
    statement = drafted(pb_incident, pr)
    now = timezone.now()
    for changes in (
        {"state": "published"},
        {"state": "published", "published_at": now, "published_by": pr},
        {"state": "approved"},
        {"state": "superseded", "published_at": now, "published_by": pr, "superseded_at": now},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Statement.objects.filter(pk=statement.pk).update(**changes)
    assert Statement.objects.get(pk=statement.pk).state == StatementState.DRAFT


def test_a_bulk_update_cannot_publish_a_statement_still_in_review(pb_incident, pr, commander):
    statement = in_review(pb_incident, pr)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(
            state="published", published_at=timezone.now(), published_by=commander
        )


def test_approved_words_cannot_be_changed_behind_the_approval(pb_incident, pr, commander):
    statement = approved(pb_incident, pr, commander)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=statement.pk).update(body="Words nobody approved.")
    current = published(pb_incident, pr, commander, title="Current")
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=current.pk).update(title="Quietly changed")
    assert Statement.objects.get(pk=current.pk).title == "Current"


def test_a_second_review_statement_cannot_be_published_on_one_approval(legal_incident, pr, commander):
    from .voice_helpers import from_legal_template

    statement = from_legal_template(legal_incident, pr)
    services.approve_statement(statement.pk, by=commander)
    row = Statement.objects.get(pk=statement.pk)
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=row.pk).update(
            state="published",
            approved_title=row.title,
            approved_body=row.body,
            published_at=timezone.now(),
            published_by=commander,
        )


def test_creating_a_published_row_directly_is_refused(pb_incident, pr):
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.create(
            incident=pb_incident,
            audience="public",
            title="Sneaky",
            body="Never approved.",
            state="published",
            drafted_by=pr,
            published_by=pr,
            published_at=timezone.now(),
        )
    assert not Statement.objects.exists()


def test_the_database_refuses_a_second_current_statement(pb_incident, pr, commander):
    current = published(pb_incident, pr, commander)
    other = approved(pb_incident, pr, commander, title="Another")
    with pytest.raises(IntegrityError), transaction.atomic():
        Statement.objects.filter(pk=other.pk).update(
            state="published", published_at=timezone.now(), published_by=commander
        )
    assert services.current_statement(pb_incident, "public") == current


def test_the_state_is_protected_and_transitions_check_their_source(pb_incident, pr):
    statement = drafted(pb_incident, pr)
    with pytest.raises(AttributeError):
        statement.state = "published"
    with pytest.raises(TransitionNotAllowed):
        statement.publish(pr)
    with pytest.raises(TransitionNotAllowed):
        statement.mark_approved()


def test_the_service_refuses_to_publish_anything_unapproved(pb_incident, pr, commander):
    for statement in (drafted(pb_incident, pr), in_review(pb_incident, pr)):
        with pytest.raises(RuleBroken) as exc:
            services.publish_statement(statement.pk, by=commander)
        assert exc.value.details["state"] == statement.state
    assert not Statement.objects.filter(state=StatementState.PUBLISHED).exists()


# --- Concurrent publishing: never two current statements -----------------------------------------------------


def _assert_one_voice(incident, statements):
    rows = {s.pk: Statement.objects.get(pk=s.pk) for s in statements}
    current = [r for r in rows.values() if r.state == StatementState.PUBLISHED]
    assert len(current) == 1, {pk: r.state for pk, r in rows.items()}
    others = [r for r in rows.values() if r.state != StatementState.PUBLISHED]
    assert all(r.state == StatementState.SUPERSEDED for r in others)
    # The superseded ones form one chain ending at the current statement, in publishing order.
    chain = sorted(rows.values(), key=lambda r: r.published_at)
    for older, newer in pairwise(chain):
        assert older.superseded_by_id == newer.pk
    assert chain[-1] == current[0]
    return current[0], chain


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishes_of_different_statements_leave_one_current_voice():
    commander, pr = factories.commander_user(), factories.pr_user()
    incident = incident_with_playbook(commander)
    statements = [approved(incident, pr, commander, title=f"Version {i}") for i in range(5)]
    outcomes = run_together([lambda s=s: services.publish_statement(s.pk, by=commander) for s in statements])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes  # serialised by the incident lock
    current, chain = _assert_one_voice(incident, statements)
    assert services.current_statement(incident, "public") == current
    # The holding-statement deadline was met exactly once, by the first to publish.
    holding = Deadline.objects.get(incident=incident, code="holding-statement")
    assert holding.state == DeadlineState.MET and holding.evidence_ref == f"statement:{chain[0].pk}"
    entries = TimelineEntry.objects.filter(incident=incident, kind="statement")
    assert entries.filter(data__action="published").count() == 5
    assert entries.filter(data__action="superseded").count() == 4
    seqs = list(TimelineEntry.objects.filter(incident=incident).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_of_the_same_statement_one_wins_one_conflicts():
    commander, pr = factories.commander_user(), factories.pr_user()
    incident = incident_with_playbook(commander)
    spokesperson = factories.responder_user()
    from incidents import services as incident_services

    incident_services.assign_role(incident.pk, by=commander, user=spokesperson, role="spokesperson")
    statement = approved(incident, pr, commander)
    outcomes = run_together(
        [lambda: services.publish_statement(statement.pk, by=commander),
         lambda: services.publish_statement(statement.pk, by=spokesperson)]
    )  # fmt: skip
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, RuleBroken)
    assert Statement.objects.get(pk=statement.pk).state == StatementState.PUBLISHED
    published_entries = TimelineEntry.objects.filter(incident=incident, data__action="published")
    assert published_entries.count() == 1


@pytest.mark.django_db(transaction=True)
def test_writers_that_skip_the_lock_still_cannot_make_two_current_statements():
    """Two bulk updates racing to publish (approved) statements: the unique constraint admits one."""
    commander, pr = factories.commander_user(), factories.pr_user()
    incident = incident_with_playbook(commander)
    first, second = (approved(incident, pr, commander, title=t) for t in ("A", "B"))

    def force(statement):
        with transaction.atomic():
            Statement.objects.filter(pk=statement.pk).update(
                state="published", published_at=timezone.now(), published_by=commander
            )

    outcomes = run_together([lambda: force(first), lambda: force(second)])
    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    assert isinstance(next(v for k, v in outcomes if k == "error"), IntegrityError)
    assert Statement.objects.filter(incident=incident, state=StatementState.PUBLISHED).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are a PostgreSQL matter")
def test_a_publish_waits_for_the_lock_then_supersedes_what_was_published_meanwhile():
    """Deterministic interleaving on PostgreSQL: B starts publishing while A holds the incident's
    lock and publishes; B waits, then sees A's statement as current and supersedes it."""
    import threading
    import time

    from django.db import connections

    from incidents import services as incident_services

    commander, pr = factories.commander_user(), factories.pr_user()
    incident = incident_with_playbook(commander)
    a_statement = approved(incident, pr, commander, title="A")
    b_statement = approved(incident, pr, commander, title="B")
    a_locked, release_a = threading.Event(), threading.Event()
    outcome = {}

    def a():
        try:
            with transaction.atomic():
                incident_services.lock_incident(incident.pk)
                a_locked.set()
                release_a.wait(10)
                services.publish_statement(a_statement.pk, by=commander)
            outcome["a"] = "ok"
        except Exception as exc:
            outcome["a"] = exc
        finally:
            connections.close_all()

    def b():
        try:
            services.publish_statement(b_statement.pk, by=commander)
            outcome["b"] = "ok"
        except Exception as exc:
            outcome["b"] = exc
        finally:
            connections.close_all()

    ta = threading.Thread(target=a)
    ta.start()
    assert a_locked.wait(10)
    tb = threading.Thread(target=b)
    tb.start()
    with connections["default"].cursor() as cur:
        for _ in range(100):
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cur.fetchone()[0] >= 1:
                break
            time.sleep(0.05)
        else:
            pytest.fail("B never waited for A's lock")
    # While A holds the lock and B waits, nothing is published yet.
    assert not Statement.objects.filter(incident=incident, state=StatementState.PUBLISHED).exists()
    release_a.set()
    ta.join(10)
    tb.join(10)
    assert outcome == {"a": "ok", "b": "ok"}
    a_row, b_row = Statement.objects.get(pk=a_statement.pk), Statement.objects.get(pk=b_statement.pk)
    assert (a_row.state, a_row.superseded_by_id) == (StatementState.SUPERSEDED, b_row.pk)
    assert b_row.state == StatementState.PUBLISHED
