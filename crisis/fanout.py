"""Live fan-out inside one ASGI process.

One Redis pub/sub subscription per process (the hub) receives every committed timeline event,
already serialised by the publisher (crisis.broadcast), and hands the same text to each local
websocket that watches the event's incident (and to board watchers). Per client, delivery is a
dictionary insert and a queue put; no channel-layer round trip, no per-message serialisation,
no per-message database-connection housekeeping.

Per connection, a Stream keeps the order: it starts from the sequence number the client last
saw, replays what came after from the database, and merges the live events, dropping any it
already sent and filling any gap from the database. Pub/sub may drop or reorder a message;
the database never does, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from django.conf import settings

from .broadcast import live_channel

log = logging.getLogger(__name__)

# How many messages may wait for one slow client before it is told to reconnect and resume.
QUEUE_LIMIT = 2000
# How long a gap may stay open (pub/sub delivering out of order) before the database fills it.
GAP_GRACE_SECONDS = 0.2
REPLAY_PAGE = 500
REDIS_POOL_SIZE = 32

Fetch = Callable[[int, int | None, int], Awaitable[list[tuple[int, str]]]]


class Outbox:
    """One connection's bounded queue of messages to send. A client too slow to keep up is told
    so once (`on_overflow`: the consumer closes it with 4008, and it resumes)."""

    def __init__(self, on_overflow: Callable[[], None]) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._on_overflow = on_overflow
        self.overflowed = False

    def _put(self, text: str) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.overflowed = True
            self._on_overflow()


class Stream(Outbox):
    """Ordered, gapless, duplicate-free delivery of one incident's timeline to one client."""

    def __init__(self, *, after: int, fetch: Fetch, on_overflow: Callable[[], None]) -> None:
        super().__init__(on_overflow)
        self.last_sent = after
        self._fetch = fetch
        self._pending: dict[int, str] = {}
        self._live = False
        self._filling = False

    def offer(self, seq: int | None, text: str) -> None:
        """Called by the hub for each live message of this stream's incident."""
        if seq is None:  # presence, typing: not part of the timeline
            self._put(text)
            return
        if seq <= self.last_sent:
            return
        self._pending[seq] = text
        if self._live:
            self._drain()

    async def catch_up(self) -> None:
        """Replay everything after `last_sent` from the database, then go live."""
        while True:
            rows = await self._fetch(self.last_sent, None, REPLAY_PAGE)
            for seq, text in rows:
                if seq == self.last_sent + 1:
                    self._put(text)
                    self.last_sent = seq
            if len(rows) < REPLAY_PAGE:
                break
        self._live = True
        self._drain()

    def resync(self) -> None:
        """After the hub lost its subscription for a while: look in the database for what passed."""
        if self._live and not self._filling:
            self._filling = True
            asyncio.get_running_loop().create_task(self._fill(upto=None))

    def _drain(self) -> None:
        for stale in [s for s in self._pending if s <= self.last_sent]:
            del self._pending[stale]
        while self.last_sent + 1 in self._pending:
            self.last_sent += 1
            self._put(self._pending.pop(self.last_sent))
        if self._pending and not self._filling:
            self._filling = True
            asyncio.get_running_loop().create_task(self._fill(upto=max(self._pending)))

    async def _fill(self, upto: int | None) -> None:
        try:
            await asyncio.sleep(GAP_GRACE_SECONDS)
            if upto is None or self.last_sent + 1 not in self._pending:
                for seq, text in await self._fetch(self.last_sent, upto, REPLAY_PAGE):
                    self._pending.setdefault(seq, text)
        except Exception:
            log.exception("Could not fill a gap from the database")
        finally:
            self._filling = False
        self._drain()


class BoardFeed(Outbox):
    """Every timeline event of the incidents one may see, for the board (no replay: the board
    reloads its table when it connects)."""

    def __init__(self, *, sees_restricted: bool, on_overflow: Callable[[], None]) -> None:
        super().__init__(on_overflow)
        self.sees_restricted = sees_restricted

    def offer(self, restricted: bool, text: str) -> None:
        if not restricted or self.sees_restricted:
            self._put(text)


class PersonalFeed(Outbox):
    """One person's notifications in the console, for one of their open pages (the badge, the
    tray). Not replayed: the page was rendered with the notifications so far, and a reconnecting
    page asks the API for what it missed."""

    def offer(self, text: str) -> None:
        self._put(text)


class Hub:
    def __init__(self) -> None:
        self.rooms: dict[int, set[Stream]] = defaultdict(set)
        self.board: set[BoardFeed] = set()
        self.people: dict[int, set[PersonalFeed]] = defaultdict(set)
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._publisher: aioredis.Redis | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._publisher is not None:
            await self._publisher.aclose()

    def join(self, incident_id: int, stream: Stream) -> None:
        self.rooms[incident_id].add(stream)

    def leave(self, incident_id: int, stream: Stream) -> None:
        _discard(self.rooms, incident_id, stream)

    def follow(self, user_id: int, feed: PersonalFeed) -> None:
        self.people[user_id].add(feed)

    def unfollow(self, user_id: int, feed: PersonalFeed) -> None:
        _discard(self.people, user_id, feed)

    @property
    def client(self) -> aioredis.Redis:
        """A Redis client for this process's own commands (presence, publishing)."""
        if self._publisher is None:
            self._publisher = _redis()
        return self._publisher

    async def publish(self, payload: dict) -> None:
        """Send a message that is not a timeline entry (presence, typing) to every process."""
        await self.client.publish(live_channel(), json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    async def _run(self) -> None:
        delay = 0.2
        while True:
            client = _redis()
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(live_channel())
                # Only once Redis has confirmed the subscription is it safe for a client to read
                # its backlog from the database: anything committed later will come through here.
                while (await pubsub.get_message(timeout=5.0) or {}).get("type") != "subscribe":
                    pass
                if self._ready.is_set():  # a reconnection: messages may have passed us by
                    for room in self.rooms.values():
                        for stream in room:
                            stream.resync()
                self._ready.set()
                delay = 0.2
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._route(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Live subscription lost; reconnecting in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _route(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
            personal = message.get("type") == "notification"
            incident = message["user"] if personal else message["incident"]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("Ignoring a malformed live message")
            return
        text = raw.decode() if isinstance(raw, bytes) else raw
        if personal:  # to that person's open pages only
            for feed in list(self.people.get(incident, ())):
                feed.offer(text)
            return
        seq = message.get("seq")
        for stream in list(self.rooms.get(incident, ())):
            stream.offer(seq, text)
        if seq is not None:
            restricted = bool(message.get("restricted"))
            for feed in list(self.board):
                feed.offer(restricted, text)


def _discard(groups: dict, key: int, member) -> None:
    group = groups.get(key)
    if group is not None:
        group.discard(member)
        if not group:
            del groups[key]


def _redis() -> aioredis.Redis:
    # No read timeout: an idle room waits on its subscription for as long as it likes (redis-py's
    # default socket timeout would end it with "Timeout reading" after a few quiet seconds).
    # Keepalive finds a dead connection; the hub then reconnects and the streams resync.
    # A blocking pool: when hundreds of connections join at once they queue for a Redis connection
    # instead of failing with "Too many connections" (measured with 500 clients).
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.REDIS_URL,
        max_connections=REDIS_POOL_SIZE,
        timeout=10,
        socket_timeout=None,
        socket_connect_timeout=5,
        socket_keepalive=True,
    )
    return aioredis.Redis(connection_pool=pool)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


async def get_hub() -> Hub:
    """The hub of the running event loop (one per ASGI process), started on first use."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    await hub.start()
    return hub
