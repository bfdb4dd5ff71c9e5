"""Who is in a war room: a Redis sorted set per incident (members are connections, scored by
when they expire), shared by every server. Only a change in the set of *people* is broadcast —
a heartbeat or a second tab changes nothing — so a crowded room costs nothing to keep fresh."""

from __future__ import annotations

import json
import time

import redis.asyncio as aioredis
from django.conf import settings

TTL_SECONDS = 70


def _keys(incident_id: int) -> tuple[str, str]:
    base = f"{settings.CHANNEL_LAYER_PREFIX}:presence:{incident_id}"
    return base, base + ":people"


async def update(client: aioredis.Redis, incident_id: int, member: str, *, here: bool) -> tuple[list, bool]:
    """Record one connection arriving, staying (here=True) or leaving; return the people in the
    room and whether that list differs from the one last announced."""
    key, announced_key = _keys(incident_id)
    now = time.time()
    pipe = client.pipeline()
    if here:
        pipe.zadd(key, {member: now + TTL_SECONDS})
    else:
        pipe.zrem(key, member)
    pipe.zremrangebyscore(key, "-inf", now)
    pipe.expire(key, TTL_SECONDS * 2)
    touched, expired, _ = await pipe.execute()
    if not touched and not expired and here:
        # A heartbeat: the same connections are here. Reading and parsing the whole room on every
        # heartbeat of every connection would cost O(people²) in a crowded room.
        return [], False
    members = await client.zrange(key, 0, -1)
    people = sorted({(entry["id"], entry["name"]) for entry in map(json.loads, members)})
    listing = [{"id": pk, "name": name} for pk, name in people]
    signature = json.dumps(listing, ensure_ascii=False)
    previous = await client.set(announced_key, signature, ex=TTL_SECONDS * 2, get=True)
    return listing, (previous.decode() if isinstance(previous, bytes) else previous) != signature
