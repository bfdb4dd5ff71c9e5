"""Drills (演练, issue 18): an incident may be an exercise. It is marked as one on every page and
in every notification, and nothing about it leaves the console — no webhook, chat robot, e-mail or
SMS — while a real incident's same events do go out (so the test can tell the difference)."""

from __future__ import annotations

import pytest

from crisis.voice import services as voice
from incidents.notify.models import Channel, ChatRobot, Notification, NotificationPreference, WebhookEndpoint
from playbooks.defaults import load_default_playbooks
from tests import factories

pytestmark = pytest.mark.django_db

OUTSIDE = (Channel.WEBHOOK, Channel.ROBOT, Channel.EMAIL, Channel.SMS)


@pytest.fixture
def outside_world(commander, pr):
    load_default_playbooks()
    WebhookEndpoint.objects.create(name="pager", url="http://127.0.0.1:9/hook", secret="s3cret")
    ChatRobot.objects.create(name="应急群", provider="wecom", webhook_url="http://127.0.0.1:9/robot")
    for person in (commander, pr):
        person.email = f"{person.username}@example.com"
        person.save()
        NotificationPreference.objects.update_or_create(
            user=person,
            defaults={"email": True, "email_kinds": ["pages", "approvals", "assignments", "outcomes", "clocks"]},
        )


def run_an_incident(api, commander, pr, *, exercise: bool) -> int:
    answer = api.as_user(commander).post(
        "/api/incidents/",
        {
            "title": "3号楼脚手架局部坍塌",
            "kind": "site_safety",
            "severity": 2,
            "exercise": exercise,
            "commander": commander.pk,
        },
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["exercise"] is exercise
    pk = answer.json()["id"]
    statement = voice.create_statement(pk, by=pr, audience="public", title="情况通报", body="两名工人受伤，已送医。")
    voice.submit_statement(statement.pk, by=pr)
    voice.approve_statement(statement.pk, by=commander)
    voice.publish_statement(statement.pk, by=commander)
    return pk


def outside(pk: int):
    return Notification.objects.filter(topic_type="incident", topic_id=pk, channel__in=OUTSIDE)


def test_an_exercise_never_leaves_the_console(api, commander, pr, outside_world):
    real = run_an_incident(api, commander, pr, exercise=False)
    assert outside(real).filter(channel=Channel.WEBHOOK).exists()  # the same events do go out for real
    assert outside(real).filter(channel=Channel.ROBOT).exists()
    drill = run_an_incident(api, commander, pr, exercise=True)
    assert not outside(drill).exists()
    in_console = Notification.objects.filter(topic_type="incident", topic_id=drill, channel=Channel.IN_APP)
    assert in_console.exists()
    assert all(n.subject.startswith("[Exercise]") or n.subject.startswith("[演练]") for n in in_console)


def test_an_exercise_is_marked_on_its_pages(client, commander, outside_world):
    incident = factories.declare(commander, commander=commander, exercise=True)
    plain = factories.declare(commander, commander=commander, title="Another")
    client.force_login(commander)
    assert "Exercise 演练" in client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Exercise 演练" not in client.get(f"/incidents/{plain.pk}/").content.decode()
    board = client.get("/").content.decode()
    assert board.count("Exercise 演练") == 1


def test_declaring_refuses_a_non_boolean_exercise(api, commander):
    answer = api.as_user(commander).post(
        "/api/incidents/", {"title": "x", "kind": "site_safety", "severity": 2, "exercise": "maybe"}, format="json"
    )
    assert answer.status_code == 400 and "exercise" in answer.json()["errors"]
