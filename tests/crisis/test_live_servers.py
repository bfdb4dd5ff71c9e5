"""Live updates across real processes: two ASGI servers, a Celery worker, and an idle room."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import websockets
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from incidents import services
from incidents.models import Deadline
from playbooks.exchange import import_text
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
SAMPLE = (Path(__file__).parents[1] / "playbooks" / "sample.yaml").read_text(encoding="utf-8")


def token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def post_json(url: str, body: dict, key: str) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Token {key}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


async def wait_for_type(ws, kind: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(deadline - time.monotonic(), 0.1)))
        if message.get("type") == kind and "seq" in message:
            return message


def ws_url(server, incident, after):
    return server.url.replace("http", "ws", 1) + f"/ws/incidents/{incident.pk}/?after={after}"


def test_a_client_on_one_server_hears_what_another_server_wrote(asgi_servers):
    a, b = asgi_servers
    commander = factories.commander_user()
    incident = factories.declare(commander, commander=commander)
    key = token(commander)

    async def scenario():
        async with websockets.connect(
            ws_url(a, incident, 99), additional_headers={"Authorization": f"Token {key}"}
        ) as ws:
            status = await asyncio.get_running_loop().run_in_executor(
                None, post_json, f"{b.url}/api/incidents/{incident.pk}/notes/", {"text": "via server b"}, key
            )
            assert status == 201
            return await wait_for_type(ws, "note", timeout=5)

    message = asyncio.run(scenario())
    assert message["data"]["text"] == "via server b"


def test_a_breach_handled_by_a_celery_worker_reaches_the_war_room(asgi_servers, timer_processes):
    a, _ = asgi_servers
    import_text(SAMPLE, publish=True)
    commander = factories.commander_user()
    incident = factories.declare(commander, commander=commander)
    key = token(commander)
    deadline = Deadline.objects.get(incident=incident, code="holding-statement")

    async def scenario():
        async with websockets.connect(
            ws_url(a, incident, 999), additional_headers={"Authorization": f"Token {key}"}
        ) as ws:
            await asyncio.get_running_loop().run_in_executor(
                None,
                lambda: services.move_deadline(
                    deadline.pk, by=commander, due_at=timezone.now() + timedelta(seconds=2), reason="test"
                ),
            )
            return await wait_for_type(ws, "breach", timeout=10)

    message = asyncio.run(scenario())
    assert message["data"]["deadline"] == deadline.pk
    assert message["incident"] == incident.pk


@pytest.mark.skipif(connection.vendor != "sqlite", reason="one run is enough: this is about Redis, not the database")
def test_an_idle_room_stays_connected_for_more_than_a_minute(asgi_servers):
    a, b = asgi_servers
    commander = factories.commander_user()
    incident = factories.declare(commander, commander=commander)
    key = token(commander)

    async def scenario():
        headers = {"Authorization": f"Token {key}"}
        async with websockets.connect(ws_url(a, incident, 99), additional_headers=headers) as ws:
            await asyncio.sleep(65)  # redis-py's default read timeout is 5 s; heartbeats come every 25 s
            await asyncio.get_running_loop().run_in_executor(
                None, post_json, f"{b.url}/api/incidents/{incident.pk}/notes/", {"text": "still here?"}, key
            )
            return await wait_for_type(ws, "note", timeout=5)

    assert asyncio.run(scenario())["data"]["text"] == "still here?"
