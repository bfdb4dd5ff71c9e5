"""The timeline: append-only, and its sequence numbers gapless even under concurrent writers."""

import pytest
from django.db import transaction

from incidents import services
from incidents.models import EntryKind, Incident, TimelineEntry
from tests import factories
from tests.concurrency import run_together


@pytest.mark.django_db(transaction=True)
def test_sequence_is_gapless_under_concurrent_writers():
    commander = factories.commander_user()
    writers = [factories.responder_user() for _ in range(6)]
    incident = factories.declare(commander, commander=commander)
    per_writer = 15

    def write(user):
        def go():
            for n in range(per_writer):
                services.add_note(incident.pk, by=user, text=f"{user.username} {n}")

        return go

    def write_and_roll_back():
        # Transactions that fail after appending must not leave holes behind.
        for _ in range(per_writer):
            try:
                with transaction.atomic():
                    services.add_note(incident.pk, by=commander, text="doomed")
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass

    outcomes = run_together([write(u) for u in writers] + [write_and_roll_back])
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    seqs = list(TimelineEntry.objects.filter(incident=incident).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(seqs) == 2 + len(writers) * per_writer  # declared + commander named + the notes
    assert Incident.objects.get(pk=incident.pk).last_seq == seqs[-1]
    assert not TimelineEntry.objects.filter(text="doomed").exists()


@pytest.mark.django_db
def test_each_incident_counts_from_one(commander):
    a = factories.declare(commander)
    b = factories.declare(commander)
    services.add_note(a.pk, by=commander, text="a")
    assert list(TimelineEntry.objects.filter(incident=b).values_list("seq", flat=True)) == [1]
    assert list(TimelineEntry.objects.filter(incident=a).values_list("seq", flat=True)) == [1, 2]


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted(incident):
    entry = TimelineEntry.objects.filter(incident=incident).first()
    entry.text = "rewritten history"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(incident=incident).update(text="x")
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(incident=incident).delete()
    entry.refresh_from_db()
    assert entry.text != "rewritten history"


@pytest.mark.django_db
def test_admin_shows_the_timeline_read_only(client, admin, incident):
    client.force_login(admin)
    entry = TimelineEntry.objects.filter(incident=incident).first()
    change_url = f"/admin/incidents/timelineentry/{entry.pk}/change/"
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="text"' not in page.content  # no editable field
    response = client.post(change_url, {"text": "edited"})
    assert response.status_code == 403
    assert client.post(f"/admin/incidents/timelineentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/incidents/timelineentry/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.text != "edited"


@pytest.mark.django_db
def test_every_service_change_is_announced_after_commit(commander, commander2, django_capture_on_commit_callbacks):
    from incidents import events

    received = []
    events.subscribe(received.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident = factories.declare(commander, commander=commander)
            services.transition_incident(incident.pk, by=commander, name="activate")
            services.change_command(incident.pk, by=commander, to=commander2, briefing="b")
            services.add_note(incident.pk, by=commander2, text="n")
    finally:
        events.unsubscribe(received.append)
    assert [e.seq for e in received] == [1, 2, 3, 4, 5, 6]
    assert [e.type for e in received] == [
        EntryKind.DECLARED,
        EntryKind.ROLE_ASSIGNED,
        EntryKind.TRANSITION,
        EntryKind.ROLE_ENDED,
        EntryKind.COMMAND_HANDOVER,
        EntryKind.NOTE,
    ]
    assert received[-1].as_message()["data"]["text"] == "n"


@pytest.mark.django_db
def test_nothing_is_announced_for_a_rolled_back_write(incident, commander, django_capture_on_commit_callbacks):
    from incidents import events

    received = []
    events.subscribe(received.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            try:
                with transaction.atomic():
                    services.add_note(incident.pk, by=commander, text="never")
                    raise RuntimeError
            except RuntimeError:
                pass
    finally:
        events.unsubscribe(received.append)
    assert received == []


@pytest.mark.django_db
def test_a_failing_subscriber_does_not_break_the_write(incident, commander, django_capture_on_commit_callbacks):
    from incidents import events

    def broken(event):
        raise RuntimeError("subscriber down")

    events.subscribe(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.add_note(incident.pk, by=commander, text="still written")
    finally:
        events.unsubscribe(broken)
    assert TimelineEntry.objects.filter(incident=incident, kind=EntryKind.NOTE, text="still written").exists()
