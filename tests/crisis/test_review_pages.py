"""The review page (issue 18): reachable from a closed incident's war room, each form one review
command; bad input and refusals are told on the page and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crisis.reviews import services as reviews
from crisis.reviews.models import Feedback, Review, ReviewAction, ReviewState
from incidents import services
from playbooks.defaults import load_default_playbooks
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(commander):
    load_default_playbooks()
    incident = factories.declare(commander, commander=commander, title="3号楼脚手架局部坍塌")
    services.transition_incident(incident.pk, by=commander, name="activate")
    services.transition_incident(incident.pk, by=commander, name="resolve", note="现场安全")
    services.transition_incident(incident.pk, by=commander, name="close", note="已处置完毕", open_items="finish")
    return incident


def test_the_war_room_of_a_closed_incident_leads_to_its_review(client, commander, closed, incident):
    client.force_login(commander)
    assert 'id="open-review"' in client.get(f"/incidents/{closed.pk}/").content.decode()
    assert 'id="open-review"' not in client.get(f"/incidents/{incident.pk}/").content.decode()
    page = client.get(f"/incidents/{closed.pk}/review/").content.decode()
    for label in ("Detected", "Declared", "First commander named", "Closed"):
        assert label in page
    assert client.get(f"/incidents/{incident.pk}/review/").status_code == 302  # not closed: back to the war room


def test_writing_the_review_on_the_page(client, commander, closed):
    client.force_login(commander)
    base = f"/incidents/{closed.pk}/review/"
    client.get(base)
    texts = {"planned": "", "happened": "脚手架连墙件缺失", "why": "", "keep": "", "change": "每日检查连墙件"}
    bad = client.post(f"{base}write/", {**texts, "rating": "9"}, follow=True).content.decode()
    assert "less than or equal to 5" in bad
    assert Review.objects.get(incident=closed).happened == ""
    client.post(f"{base}write/", {**texts, "rating": "4"})
    review = Review.objects.get(incident=closed)
    assert (review.happened, review.rating) == ("脚手架连墙件缺失", 4)
    client.post(f"{base}sign-off/")
    assert Review.objects.get(incident=closed).state == ReviewState.SIGNED_OFF
    page = client.get(base).content.decode()
    assert 'id="save-review"' not in page and 'id="sign-off"' not in page and "脚手架连墙件缺失" in page


def test_feedback_and_action_items_on_the_page(client, commander, responder, executive, closed):
    base = f"/incidents/{closed.pk}/review/"
    client.force_login(executive)  # took no part: no feedback form, and a post is refused
    assert 'id="give-feedback"' not in client.get(base).content.decode()
    refused = client.post(f"{base}feedback/", {"rating": "2", "text": "x"}, follow=True).content.decode()
    assert "Only those who took part" in refused and not Feedback.objects.exists()
    client.force_login(commander)
    client.post(f"{base}feedback/", {"rating": "4", "text": "响应及时"})
    assert Feedback.objects.get().text == "响应及时"
    due = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"{base}actions/", {"title": "", "owner": responder.pk, "due_at": due})
    assert not ReviewAction.objects.exists()
    client.post(f"{base}actions/", {"title": "复查连墙件", "owner": responder.pk, "due_at": due})
    action = ReviewAction.objects.get()
    assert action.owner == responder
    dropped = client.post(f"{base}actions/{action.pk}/finish/", {"state": "dropped", "note": ""}, follow=True)
    assert "This field is required." in dropped.content.decode()
    client.force_login(responder)
    client.post(f"{base}actions/{action.pk}/finish/", {"state": "done", "note": ""})
    action.refresh_from_db()
    assert action.state == "done"
    assert client.post(f"{base}actions/999999/finish/", {"state": "done"}).status_code == 302


def test_action_items_are_found_per_person_after_the_incident(client, commander, responder, closed):
    due = timezone.now() + timedelta(days=3)
    mine = reviews.add_action(closed.pk, by=commander, title="复查连墙件", owner_id=responder.pk, due_at=due)
    theirs = reviews.add_action(closed.pk, by=commander, title="更新培训材料", owner_id=commander.pk, due_at=due)
    restricted = factories.declare(commander, commander=commander, title="内部事件", restricted=True)
    for name, note in (("activate", ""), ("resolve", "ok"), ("close", "ok")):
        services.transition_incident(restricted.pk, by=commander, name=name, note=note, open_items="finish")
    hidden = reviews.add_action(restricted.pk, by=commander, title="保密事项", owner_id=commander.pk, due_at=due)
    client.force_login(responder)
    page = client.get("/me/actions/").content.decode()
    head, rest = page.split("Everyone else", 1)
    assert f'id="action-{mine.pk}"' in head and f'id="action-{theirs.pk}"' in rest
    assert f'id="action-{hidden.pk}"' not in page  # a restricted incident's item stays hidden
    reviews.finish_action(mine.pk, by=responder, state="done")
    assert f'id="action-{mine.pk}"' not in client.get("/me/actions/").content.decode()  # open ones only
