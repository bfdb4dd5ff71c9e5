"""Publishing: each committed timeline entry goes to Redis once, already serialised.

Every ASGI process runs one subscription (crisis.fanout) that forwards the same text to its
local websockets. Web processes and Celery workers publish the same way (the hook runs after
commit wherever the service ran).
"""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

import redis
from django.conf import settings

from incidents.events import TimelineEvent

log = logging.getLogger(__name__)


def live_channel() -> str:
    return f"{settings.CHANNEL_LAYER_PREFIX}:live"


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def on_timeline_event(event: TimelineEvent) -> None:
    """Runs after commit (see incidents.events). Serialise once, publish once."""
    _client().publish(live_channel(), event.wire())


def on_console_notifications(announced: list[dict[str, Any]]) -> None:
    """Runs after commit (registered with incidents.notify): each notification goes to its
    recipient's open pages — the badge, the tray, a system notification."""
    pipe = _client().pipeline(transaction=False)
    for notification in announced:
        message = {"type": "notification", **notification}
        pipe.publish(live_channel(), json.dumps(message, ensure_ascii=False, separators=(",", ":")))
    pipe.execute()
