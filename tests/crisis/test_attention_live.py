"""Notifications live on /ws/me/ (issue 16), across real ASGI servers and the real Celery worker:
a page written by one server (or by the worker) reaches its recipient's open pages on another
server, and nobody else's."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import pytest
import websockets

from incidents.models import EscalationPolicy
from incidents.oncall.models import DutyPosition
from tests import factories
from tests.crisis.test_live_servers import post_json, token
from tests.incidents.test_paging import on_duty

pytestmark = pytest.mark.django_db(transaction=True)


def me_url(server) -> str:
    return server.url.replace("http", "ws", 1) + "/ws/me/"


async def next_of(ws, kind: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(deadline - time.monotonic(), 0.1)))
        if message.get("type") == kind:
            return message


async def nothing_of(ws, kind: str, seconds: float) -> bool:
    try:
        await next_of(ws, kind, seconds)
    except TimeoutError:
        return True
    return False


def declare_over_api(server, key: str, severity: int = 2) -> int:
    body = {"kind": "site_safety", "severity": severity, "title": "一名工人受伤送医"}
    return post_json(f"{server.url}/api/incidents/", body, key)


def test_a_page_reaches_the_commanders_open_page_on_another_server_and_nobody_elses(asgi_servers):
    a, b = asgi_servers
    commander, bystander = factories.commander_user(), factories.pr_user()
    responder = factories.responder_user()
    on_duty(commander)
    headers = {"Authorization": f"Token {token(commander)}"}
    other = {"Authorization": f"Token {token(bystander)}"}
    responder_key = token(responder)

    async def scenario():
        async with (
            websockets.connect(me_url(a), additional_headers=headers) as mine,
            websockets.connect(me_url(a), additional_headers=other) as theirs,
        ):
            hello = await next_of(mine, "hello", 5)
            assert hello["unread"] == 0 and hello["unacknowledged"] == 0
            await next_of(theirs, "hello", 5)
            started = time.monotonic()
            status = await asyncio.get_running_loop().run_in_executor(None, declare_over_api, b, responder_key)
            assert status == 201
            page = await next_of(mine, "notification", 5)
            took = time.monotonic() - started
            assert await nothing_of(theirs, "notification", 1.0)
            return page, took

    page, took = asyncio.run(scenario())
    assert page["event"] == "incident_declared" and page["needs_ack"] is True
    assert "一名工人受伤送医" in page["subject"] and page["topic_type"] == "incident"
    assert took < 5


def test_a_stranger_is_refused(asgi_servers):
    a, _ = asgi_servers

    async def scenario():  # a browser without a session: our own origin, no cookie
        async with websockets.connect(me_url(a), origin=a.url) as ws:
            await asyncio.wait_for(ws.recv(), timeout=5)

    with pytest.raises(websockets.ConnectionClosed) as closed:
        asyncio.run(scenario())
    assert closed.value.rcvd.code == 4401


def test_a_frame_other_than_ping_gets_an_error_and_changes_nothing(asgi_servers):
    a, _ = asgi_servers
    headers = {"Authorization": f"Token {token(factories.commander_user())}"}

    async def scenario():
        async with websockets.connect(me_url(a), additional_headers=headers) as ws:
            await next_of(ws, "hello", 5)
            await ws.send('{"type": "ack", "id": 1}')
            error = await next_of(ws, "error", 5)
            await ws.send('{"type": "ping"}')
            return error, await next_of(ws, "pong", 5)

    error, _pong = asyncio.run(scenario())
    assert "ping" in error["error"]


@pytest.mark.worker
def test_an_escalation_written_by_the_worker_reaches_the_backups_open_page(asgi_servers, timer_processes):
    a, _ = asgi_servers
    commander, backup = factories.commander_user(), factories.commander_user()
    responder = factories.responder_user()
    on_duty(commander)
    on_duty(backup, position=DutyPosition.BACKUP)
    EscalationPolicy.objects.update_or_create(severity=2, defaults={"ack_within": timedelta(seconds=2)})
    headers = {"Authorization": f"Token {token(backup)}"}
    responder_key = token(responder)

    async def scenario():
        async with websockets.connect(me_url(a), additional_headers=headers) as ws:
            await next_of(ws, "hello", 5)
            status = await asyncio.get_running_loop().run_in_executor(None, declare_over_api, a, responder_key)
            assert status == 201
            return await next_of(ws, "notification", 10)

    page = asyncio.run(scenario())
    assert page["event"] == "page_unacknowledged" and page["needs_ack"] is True
