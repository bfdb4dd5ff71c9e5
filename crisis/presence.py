"""Who is in a war room, shared by every server through Redis.

Per incident: a sorted set of connections ("<user id>:<connection>", scored by when they expire)
and a hash of names. The set of *people* changes only when someone's first connection arrives or
last one goes (or expires after a crash); only then is the room told, and only then is the room
read. A second tab, a heartbeat, or the 500th connection of the same person costs a few
constant-time Redis commands.
"""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis
from django.conf import settings

TTL_SECONDS = 70


def _keys(incident_id: int) -> tuple[str, str]:
    base = f"{settings.CHANNEL_LAYER_PREFIX}:presence:{incident_id}"
    return base, base + ":names"


def _listing_key(incident_id: int) -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:presence:{incident_id}:listing"


def member(user_id: int, connection: str) -> str:
    return f"{user_id}:{connection}"


async def _others(client: aioredis.Redis, key: str, user_id: int, mine: str) -> bool:
    """Does this person have another live connection in the room?"""
    found = await client.zrangebylex(key, f"[{user_id}:", f"[{user_id}:\xff", start=0, num=2)
    return any(m.decode() != mine for m in found)


async def people(client: aioredis.Redis, incident_id: int) -> list[dict]:
    key, names_key = _keys(incident_id)
    ids = sorted({int(m.decode().split(":", 1)[0]) for m in await client.zrange(key, 0, -1)})
    names = await client.hmget(names_key, [str(i) for i in ids]) if ids else []
    return [{"id": i, "name": (n or b"").decode()} for i, n in zip(ids, names, strict=True)]


async def refresh(client: aioredis.Redis, incident_id: int) -> list[dict] | None:
    """Read the room; return the people if they differ from the list last announced."""
    listing = await people(client, incident_id)
    text = json.dumps(listing, ensure_ascii=False)
    previous = await client.set(_listing_key(incident_id), text, ex=TTL_SECONDS * 2, get=True)
    return listing if (previous or b"").decode() != text else None


async def current(client: aioredis.Redis, incident_id: int) -> list[dict]:
    """The list last announced (what a newcomer is shown when nothing changed)."""
    cached = await client.get(_listing_key(incident_id))
    return json.loads(cached) if cached else await people(client, incident_id)


async def arrive(client: aioredis.Redis, incident_id: int, user_id: int, name: str, mine: str) -> bool:
    """A connection joins; True when the person was not in the room before."""
    key, names_key = _keys(incident_id)
    pipe = client.pipeline()
    pipe.zadd(key, {mine: time.time() + TTL_SECONDS})
    pipe.hset(names_key, str(user_id), name)
    pipe.expire(key, TTL_SECONDS * 2)
    pipe.expire(names_key, TTL_SECONDS * 2)
    await pipe.execute()
    return not await _others(client, key, user_id, mine)


async def leave(client: aioredis.Redis, incident_id: int, user_id: int, mine: str) -> bool:
    """A connection goes; True when it was the person's last one."""
    key, _ = _keys(incident_id)
    await client.zrem(key, mine)
    return not await _others(client, key, user_id, mine)


async def stay(client: aioredis.Redis, incident_id: int, mine: str) -> bool:
    """A heartbeat: keep this connection and drop expired ones (a crashed server's); True when
    some connection expired, so that the room may have changed."""
    key, names_key = _keys(incident_id)
    now = time.time()
    pipe = client.pipeline()
    pipe.zadd(key, {mine: now + TTL_SECONDS})
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.expire(key, TTL_SECONDS * 2)
    pipe.expire(names_key, TTL_SECONDS * 2)
    _, expired, _, _ = await pipe.execute()
    return bool(expired)
