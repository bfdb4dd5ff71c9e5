"""Guard rails (issue 17, item 2): standing down, resolving and closing are confirmed on a page
that says what will happen and asks why; closing records its summary and settles, or keeps,
what is still open. The same rules hold over the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents.models import Deadline, Status, Task
from tests.crisis import voice_helpers

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(commander):
    incident = voice_helpers.incident_with_playbook(commander)
    services.transition_incident(incident.pk, by=commander, name="activate")
    return incident


def test_the_war_room_links_guarded_steps_to_a_page_that_says_what_happens(client, commander, running):
    client.force_login(commander)
    room = client.get(f"/incidents/{running.pk}/").content.decode()
    assert f'href="/incidents/{running.pk}/transition/stand_down/"' in room
    page = client.get(f"/incidents/{running.pk}/transition/stand_down/").content.decode()
    assert "Every clock stops" in page and 'name="note"' in page


def test_a_guarded_step_without_a_reason_changes_nothing(client, commander, running):
    client.force_login(commander)
    answer = client.post(f"/incidents/{running.pk}/transition/stand_down/", {"transition": "stand_down", "note": ""})
    assert answer.status_code == 400
    running.refresh_from_db()
    assert running.status == Status.ACTIVE
    with pytest.raises(ValidationError):
        services.transition_incident(running.pk, by=commander, name="resolve", note="  ")
    api = client.post(
        f"/api/incidents/{running.pk}/transition/", {"transition": "stand_down"}, content_type="application/json"
    )
    assert api.status_code == 400 and "note" in api.json()["errors"]
    running.refresh_from_db()
    assert running.status == Status.ACTIVE


def test_closing_with_a_summary_can_settle_what_is_open(client, commander, running):
    services.transition_incident(running.pk, by=commander, name="resolve", note="Site made safe.")
    open_tasks = Task.objects.filter(incident=running, state="open").count()
    assert open_tasks
    client.force_login(commander)
    page = client.get(f"/incidents/{running.pk}/transition/close/").content.decode()
    assert "still open" in page and 'value="finish"' in page
    summary = "Two workers hurt, both home. Authorities told in time. Review on Monday."
    answer = client.post(
        f"/incidents/{running.pk}/transition/close/",
        {"transition": "close", "note": summary, "open_items": "finish"},
    )
    assert answer.status_code == 302
    running.refresh_from_db()
    assert running.status == Status.CLOSED
    assert not Task.objects.filter(incident=running, state="open").exists()
    assert not Deadline.objects.filter(incident=running, state="pending").exists()
    assert Task.objects.filter(incident=running, state="skipped", note=summary).count() >= open_tasks
    closing = running.timeline.filter(kind="transition").last()
    assert closing.text == summary and closing.data["to"] == "closed"


def test_closing_can_keep_what_is_open_as_it_was(commander, running):
    services.transition_incident(running.pk, by=commander, name="resolve", note="Done.")
    before = Task.objects.filter(incident=running, state="open").count()
    services.transition_incident(running.pk, by=commander, name="close", note="Closed.", open_items="keep")
    assert Task.objects.filter(incident=running, state="open").count() == before


def test_an_unknown_choice_or_step_is_refused(client, commander, running):
    with pytest.raises(ValidationError):
        services.transition_incident(running.pk, by=commander, name="stand_down", note="x", open_items="burn")
    client.force_login(commander)
    assert client.get(f"/incidents/{running.pk}/transition/activate/").status_code == 404
    assert client.get(f"/incidents/{running.pk}/transition/explode/").status_code == 404
    assert client.get("/incidents/99999999/transition/close/").status_code == 404


def test_someone_who_may_not_change_the_status_cannot_open_the_page(client, pr, running):
    client.force_login(pr)
    assert client.get(f"/incidents/{running.pk}/transition/close/").status_code == 403


def test_publishing_says_what_it_does_before_it_is_done(client, commander, pr):
    incident = voice_helpers.incident_with_playbook(commander)
    statement = voice_helpers.approved(incident, pr, commander)
    client.force_login(commander)
    page = client.get(f"/incidents/{incident.pk}/statements/{statement.pk}/").content.decode()
    confirm = page.split('class="stmt-action-more confirm-publish"')[1].split("</details>")[0]
    assert "It becomes the one voice to" in confirm and 'data-action="publish"' in confirm
    assert page.count('data-action="publish"') == 1  # no one-click publish outside the confirmation
