"""The small event hook through which `incidents` announces changes.

`incidents` never imports the apps above it. They subscribe here (crisis does, in its AppConfig)
and receive each timeline entry after the transaction that wrote it has committed. A subscriber
that fails is logged and never breaks the write, which is already durable by then.

An event is built from its entry in one place (`incidents.timeline.event_for`), once per entry,
and used both for live delivery and for replaying history to a client that resumes after a
sequence number, so the two can never differ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimelineEvent:
    incident_id: int
    seq: int
    type: str
    at: str  # ISO-8601
    actor_id: int | None
    data: dict[str, Any] = field(default_factory=dict)
    # The sentence for the entry in each language, so that no receiver has to render it.
    message: dict[str, str] = field(default_factory=dict)
    # Restricted incidents' events reach only those who may see them (the board filters on this).
    restricted: bool = False

    def as_message(self) -> dict[str, Any]:
        """The websocket message shape of DESIGN.md (plus the sentence in each language)."""
        return {
            "seq": self.seq,
            "type": self.type,
            "incident": self.incident_id,
            "at": self.at,
            "data": self.data,
            "message": self.message,
            "restricted": self.restricted,
        }

    def wire(self) -> str:
        return json.dumps(self.as_message(), ensure_ascii=False, separators=(",", ":"))


Subscriber = Callable[[TimelineEvent], None]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber in _subscribers:
        _subscribers.remove(subscriber)


def announce(event: TimelineEvent) -> None:
    """Deliver `event` to the subscribers once the current transaction commits."""
    transaction.on_commit(lambda: _deliver(event))


def _deliver(event: TimelineEvent) -> None:
    for subscriber in list(_subscribers):
        try:
            subscriber(event)
        except Exception:  # a broken subscriber must not affect the others or the writer
            log.exception(
                "Timeline subscriber %r failed for incident %s seq %s", subscriber, event.incident_id, event.seq
            )
