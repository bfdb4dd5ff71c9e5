"""Live updates through the real ASGI application, the real Redis pub/sub hub and the database.

Each test runs its websocket conversation in its own event loop (asyncio.run); services run in
threads (sync), exactly as they do behind the real server."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

from config.asgi import application
from crisis.fanout import Stream
from incidents import events, services
from incidents.models import Incident, TimelineEntry
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = (b"origin", b"http://127.0.0.1:8000")


def token_headers(user):
    token, _ = Token.objects.get_or_create(user=user)
    return [(b"authorization", f"Token {token.key}".encode())]


def session_headers(user, origin=ORIGIN):
    client = Client()
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [(b"cookie", cookie), origin]


async def connect(path, headers):
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def receive_json(communicator, timeout=5):
    return json.loads(await communicator.receive_from(timeout=timeout))


async def timeline_messages(communicator, until_seq, timeout=10):
    """Collect timeline messages (skipping presence and the like) up to `until_seq`."""
    seen = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1] < until_seq:
        message = await receive_json(communicator, timeout=max(deadline - time.monotonic(), 0.1))
        if "seq" in message:
            seen.append(message["seq"])
    return seen


def note(incident, user, text):
    return services.add_note(incident.pk, by=user, text=text)


@pytest.fixture
def room():
    commander = factories.commander_user()
    return factories.declare(commander, commander=commander), commander


# --- Who may connect ---------------------------------------------------------------------------


def test_strangers_and_bad_ids_are_refused_with_close_codes(room):
    incident, commander = room
    outsider = factories.responder_user()
    secret = factories.declare(commander, commander=commander, restricted=True)

    mine, theirs = token_headers(commander), token_headers(outsider)
    attempts = [
        ("anonymous", f"/ws/incidents/{incident.pk}/", [ORIGIN]),
        ("bad id", "/ws/incidents/abc/", mine),
        ("unknown", "/ws/incidents/999999/", mine),
        ("restricted", f"/ws/incidents/{secret.pk}/", theirs),
        ("bad after", f"/ws/incidents/{incident.pk}/?after=-3", mine),
        ("bad token", f"/ws/incidents/{incident.pk}/", [(b"authorization", b"Token nope")]),
        ("nowhere", "/ws/elsewhere/", mine),
    ]

    async def scenario():
        results = {}
        for name, path, headers in attempts:
            communicator, _connected, _ = await connect(path, headers)
            output = await communicator.receive_output(timeout=5)
            results[name] = output.get("code")
            await communicator.disconnect()
        return results

    codes = asyncio.run(scenario())
    assert codes == {
        "anonymous": 4401,
        "bad id": 4400,
        "unknown": 4404,
        "restricted": 4404,
        "bad after": 4400,
        "bad token": 4401,
        "nowhere": 4404,
    }


def test_a_cookie_connection_from_another_site_is_refused(room):
    incident, commander = room

    evil = session_headers(commander, origin=(b"origin", b"https://evil.example.com"))
    missing = session_headers(commander, origin=(b"x-nothing", b""))
    good = session_headers(commander)

    async def scenario():
        _refused, connected_evil, _ = await connect(f"/ws/incidents/{incident.pk}/", evil)
        _no_origin, connected_missing, _ = await connect(f"/ws/incidents/{incident.pk}/", missing)
        ours, connected_ours, _ = await connect(f"/ws/incidents/{incident.pk}/?after=0", good)
        first = await receive_json(ours)
        await ours.disconnect()
        return connected_evil, connected_missing, connected_ours, first

    evil, missing, ours, first = asyncio.run(scenario())
    assert evil is False and missing is False
    assert ours is True and first["seq"] == 1


# --- What arrives ---------------------------------------------------------------------------------


def test_replay_then_live_in_the_design_shape(room):
    incident, commander = room
    note(incident, commander, "before connecting")

    headers = token_headers(commander)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/incidents/{incident.pk}/?after=1", headers)
        assert connected
        replayed = [await receive_json(communicator) for _ in range(2)]
        await sync_to_async(note)(incident, commander, "live one")
        live = None
        while live is None or "seq" not in live:
            live = await receive_json(communicator)
        await communicator.disconnect()
        return replayed, live

    replayed, live = asyncio.run(scenario())
    assert [m["seq"] for m in replayed] == [2, 3]
    assert live["seq"] == 4 and live["type"] == "note" and live["incident"] == incident.pk
    assert set(live) >= {"seq", "type", "incident", "at", "data"}
    assert live["data"]["text"] == "live one"
    assert live["message"]["en"] == "live one"
    assert replayed[0]["message"]["zh-hans"].startswith("张") or replayed[0]["message"]["zh-hans"]


def test_resume_after_seq_while_others_write_has_no_gap_and_no_duplicate(room):
    incident, commander = room
    writers = [factories.responder_user() for _ in range(3)]
    for n in range(20):
        note(incident, commander, f"history {n}")
    per_writer = 15
    total = Incident.objects.get(pk=incident.pk).last_seq + per_writer * len(writers)

    def write(user):
        for n in range(per_writer):
            services.add_note(incident.pk, by=user, text=f"{user.username} {n}")
            time.sleep(0.002)

    headers = token_headers(commander)

    async def scenario():
        threads = [threading.Thread(target=write, args=(w,)) for w in writers]
        for thread in threads:
            thread.start()  # writing while the client connects and replays
        communicator, connected, _ = await connect(f"/ws/incidents/{incident.pk}/?after=5", headers)
        assert connected
        seen = await timeline_messages(communicator, total, timeout=30)
        await asyncio.get_running_loop().run_in_executor(None, lambda: [t.join() for t in threads])
        await communicator.disconnect()
        return seen

    seen = asyncio.run(scenario())
    assert seen == list(range(6, total + 1))


def test_a_message_the_broker_dropped_is_filled_from_the_database(room):
    from crisis import broadcast

    incident, commander = room

    headers = token_headers(commander)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/incidents/{incident.pk}/?after=2", headers)
        assert connected

        def write_with_a_lost_message():
            events.unsubscribe(broadcast.on_timeline_event)
            try:
                note(incident, commander, "never published")
            finally:
                events.subscribe(broadcast.on_timeline_event)
            note(incident, commander, "published")

        await sync_to_async(write_with_a_lost_message)()
        seen = await timeline_messages(communicator, 4)
        await communicator.disconnect()
        return seen

    assert asyncio.run(scenario()) == [3, 4]


def test_a_lost_last_message_is_noticed_at_the_next_heartbeat(room, monkeypatch):
    """The newest entry's publish is lost and nothing comes after it: the heartbeat names the
    newest sequence number, and the server fills the entry in from the database."""
    from crisis import broadcast, consumers

    monkeypatch.setattr(consumers, "HEARTBEAT_SECONDS", 0.5)
    incident, commander = room
    headers = token_headers(commander)

    async def scenario():
        communicator, connected, _ = await connect(f"/ws/incidents/{incident.pk}/?after=2", headers)
        assert connected
        while (await receive_json(communicator))["type"] != "presence":
            pass  # the replay is over: what is written now can only come live, or be mended

        def write_without_publishing():
            events.unsubscribe(broadcast.on_timeline_event)
            try:
                return note(incident, commander, "the last word, never published").seq
            finally:
                events.subscribe(broadcast.on_timeline_event)

        seq = await sync_to_async(write_without_publishing)()
        heartbeat, entry = None, None
        deadline = time.monotonic() + 5
        while entry is None:
            message = await receive_json(communicator, timeout=max(deadline - time.monotonic(), 0.1))
            if message.get("type") == "heartbeat" and heartbeat is None:
                heartbeat = message
            elif message.get("seq") == seq:
                entry = message
        await communicator.disconnect()
        return seq, heartbeat, entry

    seq, heartbeat, entry = asyncio.run(scenario())
    assert heartbeat is not None and heartbeat["last_seq"] == seq and "seq" not in heartbeat
    assert entry["data"]["text"] == "the last word, never published"


def test_bad_client_messages_get_an_error_and_the_connection_stays(room):
    incident, commander = room

    headers = token_headers(commander)

    async def scenario():
        communicator, _, _ = await connect(f"/ws/incidents/{incident.pk}/", headers)
        answers = []
        for raw in ["not json", "[1,2]", '{"no": "type"}', '{"type": "self-destruct"}', '{"type": "typing"}',
                    "x" * 5000, '{"type": "ping"}']:  # fmt: skip
            await communicator.send_to(text_data=raw)
            while True:
                message = await receive_json(communicator)
                if message["type"] in ("error", "pong"):
                    answers.append(message["type"])
                    break
        await communicator.disconnect()
        return answers

    assert asyncio.run(scenario()) == ["error"] * 6 + ["pong"]


def test_presence_and_typing_reach_the_room(room):
    incident, commander = room
    pr = factories.pr_user(first_name="Wang Fang")

    mine, theirs = token_headers(commander), token_headers(pr)

    async def scenario():
        a, _, _ = await connect(f"/ws/incidents/{incident.pk}/?after=99", mine)
        b, _, _ = await connect(f"/ws/incidents/{incident.pk}/?after=99", theirs)
        names = set()
        while "Wang Fang" not in names:
            message = await receive_json(a)
            if message["type"] == "presence":
                names = {u["name"] for u in message["users"]}
        await b.send_to(text_data=json.dumps({"type": "typing", "typing": True}))
        while (message := await receive_json(a))["type"] != "typing":
            pass
        await b.disconnect()
        while True:
            left = await receive_json(a)
            if left["type"] == "presence" and "Wang Fang" not in {u["name"] for u in left["users"]}:
                break
        await a.disconnect()
        return names, message

    names, typing = asyncio.run(scenario())
    assert {"Wang Fang"} <= names
    assert typing["user"]["name"] == "Wang Fang" and typing["typing"] is True and "seq" not in typing


def test_the_board_hears_every_incident_but_restricted_ones_only_for_those_who_may_see_them():
    commander = factories.commander_user()
    executive = factories.exec_user()
    responder = factories.responder_user()

    headers = {"exec": token_headers(executive), "responder": token_headers(responder)}

    async def scenario():
        boards = {}
        for name in ("exec", "responder"):
            boards[name], connected, _ = await connect("/ws/board/", headers[name])
            assert connected
        open_one = await sync_to_async(factories.declare)(commander, title="open")
        secret = await sync_to_async(factories.declare)(commander, title="secret", restricted=True)
        await sync_to_async(note)(open_one, commander, "done")
        got = {}
        for name, board in boards.items():
            got[name] = set()
            while not await board.receive_nothing(timeout=2):
                got[name].add((await receive_json(board))["incident"])
            await board.disconnect()
        return got, open_one.pk, secret.pk

    got, open_pk, secret_pk = asyncio.run(scenario())
    assert got["exec"] == {open_pk, secret_pk}
    assert got["responder"] == {open_pk}


# --- The ordering machinery on its own ----------------------------------------------------------------


def test_stream_orders_drops_duplicates_and_fills_gaps():
    database = {seq: f"entry {seq}" for seq in range(1, 11)}

    async def fetch(after, upto, limit):
        last = upto or max(database)
        return [(s, database[s]) for s in range(after + 1, last + 1)][:limit]

    async def scenario():
        overflowed = []
        stream = Stream(after=3, fetch=fetch, on_overflow=lambda: overflowed.append(True))
        stream.offer(5, "entry 5")  # live, during the replay
        stream.offer(2, "entry 2")  # old news
        await stream.catch_up()  # 4..10 from the database
        stream.offer(11, "entry 11")
        stream.offer(13, "entry 13")  # 12 lost on the way: filled from the database
        database[12], database[13] = "entry 12", "entry 13"
        await asyncio.sleep(0.5)
        stream.offer(12, "entry 12")  # arrives late: a duplicate by now
        sent = []
        while not stream.queue.empty():
            sent.append(stream.queue.get_nowait())
        return sent, overflowed

    sent, overflowed = asyncio.run(scenario())
    assert sent == [f"entry {n}" for n in range(4, 14)]
    assert overflowed == []


def test_a_client_that_cannot_keep_up_is_told_to_reconnect(monkeypatch):
    import crisis.fanout as fanout

    monkeypatch.setattr(fanout, "QUEUE_LIMIT", 3)

    async def fetch(after, upto, limit):
        return []

    async def scenario():
        overflowed = []
        stream = fanout.Stream(after=0, fetch=fetch, on_overflow=lambda: overflowed.append(True))
        await stream.catch_up()
        for seq in range(1, 8):
            stream.offer(seq, f"entry {seq}")
        return overflowed, stream.queue.qsize()

    overflowed, size = asyncio.run(scenario())
    assert overflowed == [True] and size == 3


# --- The page stays fast with a long history -----------------------------------------------------------


def test_war_room_queries_do_not_grow_with_the_history(django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    commander = factories.commander_user()
    short = factories.declare(commander, commander=commander)
    long = factories.declare(commander, commander=commander)
    start = Incident.objects.get(pk=long.pk).last_seq
    TimelineEntry.objects.bulk_create(
        TimelineEntry(incident=long, seq=start + n, kind="note", actor=commander, text=f"n{n}")
        for n in range(1, 10_001)
    )
    Incident.objects.filter(pk=long.pk).update(last_seq=start + 10_000)
    client = Client()
    client.force_login(commander)
    counts = {}
    for incident in (short, long):
        client.get(f"/incidents/{incident.pk}/")  # warm caches (permissions, session)
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/incidents/{incident.pk}/")
        counts[incident.pk] = len(queries)
        assert page.status_code == 200
    assert counts[long.pk] == counts[short.pk], counts
    body = page.content.decode()
    assert body.count('class="entry ') == 100
    assert f'data-seq="{start + 10_000}"' in body
    older = client.get(f"/incidents/{long.pk}/timeline/?before={start + 10_000 - 99}")
    assert older.content.decode().count('class="entry ') == 100
    assert client.get(f"/incidents/{long.pk}/timeline/?before=zz").status_code == 400
