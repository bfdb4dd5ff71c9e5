"""The words of each notification event, registered by the domain that sends it.

A renderer is registered per (topic type, event) — a missed deadline reads differently for an
incident and for a complaint — and turns the event's data into (subject, body) in the active
language; the notification is written in each recipient's own language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation

Renderer = Callable[[dict[str, Any]], tuple[str, str]]

_renderers: dict[tuple[str, str], Renderer] = {}


def register(topic_type: str, event: str, renderer: Renderer) -> None:
    _renderers[(topic_type, event)] = renderer


def formatted(subject, body, values: Callable[[dict[str, Any]], dict[str, Any]]) -> Renderer:
    """A renderer from two translatable templates (lazy strings, resolved in the recipient's
    language when rendered) filled with `values(data)`."""

    def render_pair(data: dict[str, Any]) -> tuple[str, str]:
        filled = values(data)
        return str(subject) % filled, str(body) % filled

    return render_pair


def register_each(topic_type: str, templates: dict[str, tuple], values) -> None:
    """Several events at once: {event: (subject, body)} templates, all filled with `values(data)`."""
    for event, (subject, body) in templates.items():
        register(topic_type, event, formatted(subject, body, values))


def register_deadline_texts(topic_type: str, values, *, reminder: tuple, breach: tuple) -> None:
    """The two events every clock of a domain sends — a reminder before the due time and the
    breach after it — each as (subject, body) templates filled with `values(data)`."""
    register(topic_type, "deadline_reminder", formatted(*reminder, values))
    register(topic_type, "deadline_breached", formatted(*breach, values))


_links: dict[str, Callable[[int], str]] = {}


def register_link(topic_type: str, path: Callable[[int], str]) -> None:
    """Where a topic is seen in the console (a path), for messages that leave it."""
    _links[topic_type] = path


def link(topic_type: str, topic_id: int | None) -> str:
    """The console's absolute address of a topic (the board when it has none)."""
    path = _links[topic_type](topic_id) if topic_type in _links and topic_id is not None else "/"
    return settings.CRISIS_BASE_URL.rstrip("/") + path


def registered() -> list[tuple[str, str]]:
    return sorted(_renderers)


def render(topic_type: str, event: str, data: dict[str, Any], language: str) -> tuple[str, str]:
    try:
        renderer = _renderers[(topic_type, event)]
    except KeyError:
        raise LookupError(f"No texts are registered for {event!r} about {topic_type!r}") from None
    with translation.override(language):
        subject, body = renderer(data)
    return str(subject)[:300], str(body)
