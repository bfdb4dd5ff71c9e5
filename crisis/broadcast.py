"""Pushes each committed timeline entry to everyone watching (see crisis.fanout for the receiving side)."""

from __future__ import annotations

import json
import logging
from functools import cache

import redis
from django.conf import settings

from incidents.events import TimelineEvent

log = logging.getLogger(__name__)


def incident_channel(incident_id: int) -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:live:incident:{incident_id}"


def board_channel() -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:live:board"


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def on_timeline_event(event: TimelineEvent) -> None:
    """Runs after commit. Serialise once; every receiving process forwards the same bytes."""
    payload = json.dumps(event.as_message(), ensure_ascii=False, separators=(",", ":"))
    client = _client()
    client.publish(incident_channel(event.incident_id), payload)
    client.publish(board_channel(), payload)
