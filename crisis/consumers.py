"""Websockets: /ws/incidents/{id}/?after=SEQ (the war room), /ws/board/ and /ws/me/ (one's own
notifications: the badge, the tray and system notifications on every page).

Timeline messages: {"seq", "type", "incident", "at", "data", "message"} — `message` holds the
entry's sentence in each language. Other messages carry a `type` and no `seq`: presence,
typing, heartbeat, error. Close codes: 4400 bad request, 4401 not signed in, 4403 origin refused,
4404 no such incident (or not yours to see), 4008 too slow (reconnect with ?after=).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from incidents import permissions, services
from incidents.models import Incident, TimelineEntry
from incidents.notify import delivery as notify
from incidents.timeline import event_for

from . import presence
from .fanout import BoardFeed, PersonalFeed, Stream, get_hub

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 25
VISIBILITY_EVERY = 10  # heartbeats between checks that the viewer may still see the incident
MAX_CLIENT_MESSAGE = 4096


class LiveConsumer(AsyncWebsocketConsumer):
    """What both websockets share: the writer task, heartbeats, and refusing strangers."""

    # Live events come from the process's hub (crisis.fanout), not from a per-connection
    # channel-layer receive loop.
    channel_layer_alias = None

    async def start_writer(self, queue: asyncio.Queue) -> None:
        self._tasks = [
            asyncio.get_running_loop().create_task(self._write(queue)),
            asyncio.get_running_loop().create_task(self._heartbeat()),
        ]

    async def _write(self, queue: asyncio.Queue) -> None:
        send = self.base_send  # the server's own send: the consumer's wrappers add nothing here
        while True:
            await send({"type": "websocket.send", "text": await queue.get()})

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            await self.beat()

    async def beat(self) -> None:
        extra = await self.heartbeat_extra()
        await self.send(text_data=json.dumps({"type": "heartbeat", "at": timezone.now().isoformat(), **extra}))
        await self.on_heartbeat()

    async def heartbeat_extra(self) -> dict:
        return {}

    async def on_heartbeat(self) -> None:
        pass

    def too_slow(self) -> None:
        asyncio.get_running_loop().create_task(self.close(code=4008))

    async def stop_tasks(self) -> None:
        for task in getattr(self, "_tasks", []):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def refuse(self, code: int) -> None:
        # Accept first so that the client learns why (a refused handshake carries no code).
        await self.accept()
        await self.close(code=code)

    async def send_error(self, error: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "error": error}))

    async def answer_ping(self, text_data: str | None, refusal: str) -> None:
        """For sockets that only listen: a ping is answered, anything else refused with `refusal`."""
        if text_data and len(text_data) <= MAX_CLIENT_MESSAGE:
            with contextlib.suppress(ValueError):
                if json.loads(text_data) == {"type": "ping"}:
                    return await self.send(text_data=json.dumps({"type": "pong"}))
        await self.send_error(refusal)


@database_sync_to_async
def _visible_incident(incident_id: int, user) -> Incident | None:
    try:
        return services.get_visible_incident(incident_id, user)
    except Incident.DoesNotExist:
        return None


@database_sync_to_async
def _read_last_seq(incident_id: int) -> int:
    return Incident.objects.filter(pk=incident_id).values_list("last_seq", flat=True).first() or 0


# The newest sequence number per incident, as this process last read it. Five hundred people in
# one room beat every 25 s: one read per incident every few seconds serves them all.
LAST_SEQ_FRESH_SECONDS = 5.0
_last_seqs: dict[int, tuple[float, int]] = {}


async def _last_seq(incident_id: int) -> int:
    now = time.monotonic()
    cached = _last_seqs.get(incident_id)
    if cached is not None and now - cached[0] < LAST_SEQ_FRESH_SECONDS:
        return cached[1]
    value = await _read_last_seq(incident_id)
    _last_seqs[incident_id] = (now, value)
    return value


@database_sync_to_async
def _still_visible(incident_id: int, user) -> bool:
    return Incident.objects.filter(pk=incident_id).visible_to(user).exists()


def _replay(incident_id: int, restricted: bool):
    @database_sync_to_async
    def fetch(after: int, upto: int | None, limit: int) -> list[tuple[int, str]]:
        entries = TimelineEntry.objects.filter(incident_id=incident_id, seq__gt=after).select_related("actor")
        if upto is not None:
            entries = entries.filter(seq__lte=upto)
        return [(e.seq, event_for(e, restricted=restricted).wire()) for e in entries.order_by("seq")[:limit]]

    return fetch


class IncidentConsumer(LiveConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(4401)
        try:
            self.incident_id = int(self.scope["url_route"]["kwargs"]["pk"])
            raw_after = parse_qs(self.scope.get("query_string", b"").decode()).get("after", ["0"])[0]
            after = int(raw_after)
            if after < 0:
                raise ValueError
        except (KeyError, ValueError):
            return await self.refuse(4400)
        incident = await _visible_incident(self.incident_id, user)
        if incident is None:
            return await self.refuse(4404)
        await self.accept()
        self.hub = await get_hub()
        # A client that claims to have seen more than exists (a stale page, a reset database)
        # would otherwise wait for sequence numbers it has "seen" and miss what comes next.
        after = min(after, incident.last_seq)
        self.stream = Stream(after=after, fetch=_replay(incident.pk, incident.restricted), on_overflow=self.too_slow)
        # Join before replaying: whatever commits from now on arrives live; what came before is
        # in the database. The stream drops the overlap.
        self.hub.join(self.incident_id, self.stream)
        await self.start_writer(self.stream.queue)
        await self.stream.catch_up()
        self.presence_member = presence.member(user.pk, uuid.uuid4().hex[:12])
        await self._presence("arrive")

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "stream"):
            self.hub.leave(self.incident_id, self.stream)
            await self.stop_tasks()
            with contextlib.suppress(Exception):
                await self._presence("leave")

    async def heartbeat_extra(self) -> dict:
        """The heartbeat carries the timeline's newest sequence number, so that a client whose last
        live message was lost (a dropped publish with nothing after it) notices within one beat.
        The server mends its own stream first: it fetches what it missed from the database."""
        last_seq = await _last_seq(self.incident_id)
        if last_seq > self.stream.last_sent:
            self.stream.resync()
        return {"last_seq": last_seq}

    async def on_heartbeat(self) -> None:
        # Whoever lost the right to see the incident (left a restricted incident, was disabled)
        # is let go within a few minutes; checking at every heartbeat would cost a query per
        # connection every 25 seconds.
        self.heartbeats = getattr(self, "heartbeats", 0) + 1
        if self.heartbeats % VISIBILITY_EVERY == 0 and not await _still_visible(self.incident_id, self.scope["user"]):
            await self.close(code=4404)
            return
        await self._presence("stay")

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Messages from the client: {"type": "ping"}, {"type": "here"}, {"type": "typing", "typing": bool}."""
        if text_data is None or len(text_data) > MAX_CLIENT_MESSAGE:
            return await self.send_error("Send JSON text of at most 4096 characters.")
        try:
            message = json.loads(text_data)
        except ValueError:
            return await self.send_error("Not JSON.")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return await self.send_error('Send an object with a "type".')
        kind = message["type"]
        if kind == "ping":
            return await self.send(text_data=json.dumps({"type": "pong", "at": timezone.now().isoformat()}))
        if kind == "here":
            return await self._presence("stay")
        if kind == "typing":
            if not isinstance(message.get("typing"), bool):
                return await self.send_error('"typing" must be true or false.')
            user = self.scope["user"]
            return await self.hub.publish(
                {
                    "type": "typing",
                    "incident": self.incident_id,
                    "typing": message["typing"],
                    "user": {"id": user.pk, "name": services.display_name(user)},
                }
            )
        return await self.send_error(f"Unknown message type: {kind[:40]}")

    async def _presence(self, event: str) -> None:
        """Tell the room when the set of people changes; show a newcomer who is here. Presence is
        a courtesy: if Redis stumbles, the room carries on without it."""
        try:
            await self._update_presence(event)
        except Exception:
            log.warning("Presence update failed for incident %s", self.incident_id, exc_info=True)

    async def _update_presence(self, event: str) -> None:
        client, user = self.hub.client, self.scope["user"]
        if event == "arrive":
            changed = await presence.arrive(
                client, self.incident_id, user.pk, services.display_name(user), self.presence_member
            )
        elif event == "leave":
            changed = await presence.leave(client, self.incident_id, user.pk, self.presence_member)
        else:
            changed = await presence.stay(client, self.incident_id, self.presence_member)
        listing = await presence.refresh(client, self.incident_id) if changed else None
        if listing is not None:
            await self.hub.publish({"type": "presence", "incident": self.incident_id, "users": listing})
        elif event == "arrive":
            listing = await presence.current(client, self.incident_id)
            self.stream.offer(None, json.dumps({"type": "presence", "incident": self.incident_id, "users": listing}))


class BoardConsumer(LiveConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(4401)
        sees_restricted = await database_sync_to_async(permissions.sees_restricted)(user)
        await self.accept()
        self.hub = await get_hub()
        self.feed = BoardFeed(sees_restricted=sees_restricted, on_overflow=self.too_slow)
        self.hub.board.add(self.feed)
        await self.start_writer(self.feed.queue)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "feed"):
            self.hub.board.discard(self.feed)
            await self.stop_tasks()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.answer_ping(text_data, 'The board only answers {"type": "ping"}.')


@database_sync_to_async
def _attention(user) -> dict[str, int]:
    return {"unread": notify.unread_count(user), "unacknowledged": notify.unacknowledged(user).count()}


class PersonalConsumer(LiveConsumer):
    """/ws/me/: the signed-in person's notifications as they are written. First message:
    {"type": "hello", "unread", "unacknowledged"}; then {"type": "notification", "id", "event",
    "subject", "body", "needs_ack", "topic_type", "topic_id", "created_at"} for each."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.refuse(4401)
        await self.accept()
        self.user_id = user.pk
        self.hub = await get_hub()
        self.feed = PersonalFeed(on_overflow=self.too_slow)
        # Follow first, then count: a notification written in between is counted and also sent,
        # and the page takes the hello's counts as the truth at that moment.
        self.hub.follow(self.user_id, self.feed)
        await self.send(text_data=json.dumps({"type": "hello", **await _attention(user)}))
        await self.start_writer(self.feed.queue)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "feed"):
            self.hub.unfollow(self.user_id, self.feed)
            await self.stop_tasks()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.answer_ping(text_data, 'This socket only answers {"type": "ping"}.')


class UnknownConsumer(LiveConsumer):
    async def connect(self) -> None:
        await self.refuse(4404)
