"""The incident's timeline: the one way to write to it, and the registry of what its entries mean.

Every domain that writes timeline entries registers its kinds here (in its AppConfig.ready): the
code, the label, how an entry of that kind reads as a sentence in the reader's language, and the
shape of its data (a TypedDict, documented in the README). `incidents` itself registers the core
kinds; complaints and the one-voice app register theirs. The wire format of an entry is built in
one place (incidents.events) from what is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.functional import Promise

from . import events
from .models import Incident, TimelineEntry

Describe = Callable[[dict[str, Any], str], str]


@dataclass(frozen=True)
class EntryKindSpec:
    code: str
    label: str | Promise
    describe: Describe
    schema: type | None = None


_kinds: dict[str, EntryKindSpec] = {}


def register_kind(code: str, label: str | Promise, describe: Describe, schema: type | None = None) -> None:
    existing = _kinds.get(code)
    if existing is not None and existing.describe is not describe:
        raise ValueError(f"Timeline kind {code!r} is already registered")
    _kinds[code] = EntryKindSpec(code, label, describe, schema)


def payload_keys(schema: type) -> tuple[list[str], set[str]]:
    """(every key the schema names, in order; the keys it requires). The schemas are TypedDicts
    whose modules postpone annotations, so NotRequired is read from the annotation's text."""
    annotations: dict[str, Any] = {}
    for klass in reversed(schema.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))

    def text(annotation: Any) -> str:
        return getattr(annotation, "__forward_arg__", None) or str(annotation)

    required = {k for k, v in annotations.items() if not text(v).startswith(("NotRequired", "typing.NotRequired"))}
    return list(annotations), required


def check_payload(code: str, data: dict[str, Any]) -> None:
    """Refuse data that its kind's schema does not describe: a key it does not name, or one it
    requires left out. On in development and the tests (settings.CRISIS_CHECK_TIMELINE_PAYLOADS),
    so that what the README and the API promise about each kind stays true."""
    spec = _kinds[code]
    if spec.schema is None:
        return
    named, required = payload_keys(spec.schema)
    unknown, missing = set(data) - set(named), required - set(data)
    if unknown or missing:
        raise TypeError(f"Timeline kind {code!r}: unknown keys {sorted(unknown)}, missing {sorted(missing)}")


def kinds() -> list[EntryKindSpec]:
    return list(_kinds.values())


def kind_choices() -> list[tuple[str, str | Promise]]:
    return [(spec.code, spec.label) for spec in _kinds.values()]


def label(code: str) -> str:
    spec = _kinds.get(code)
    return str(spec.label) if spec else code


def describe(code: str, data: dict[str, Any] | None, text: str = "") -> str:
    """One line for a timeline entry in the active language; the free text a person wrote is
    shown beside it, not in it (a note reads as its text)."""
    spec = _kinds.get(code)
    if spec is None:
        return code
    return spec.describe(data or {}, text)


def messages(code: str, data: dict[str, Any] | None, text: str) -> dict[str, str]:
    """The sentence for an entry in every language the console speaks."""
    out = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            out[language] = describe(code, data, text)
    return out


def event_for(entry: TimelineEntry, *, restricted: bool) -> events.TimelineEvent:
    """The one place a timeline entry becomes the event that is broadcast and replayed. (Select
    the entry's actor with it when replaying many.)"""
    return events.TimelineEvent(
        incident_id=entry.incident_id,
        seq=entry.seq,
        type=entry.kind,
        at=entry.at.isoformat(),
        actor_id=entry.actor_id,
        data={**entry.data, "text": entry.text, "actor": person(entry.actor)},
        message=messages(entry.kind, entry.data, entry.text),
        restricted=restricted,
    )


# --- People as entries name them ---------------------------------------------------------------------


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def person(user) -> dict[str, Any] | None:
    """How a user appears in timeline data and messages."""
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": display_name(user)}


# --- Writing -------------------------------------------------------------------------------------------


def lock_incident(incident_id: int, *, skip_locked: bool = False) -> Incident | None:
    """Lock the incident's row for the rest of the current transaction and return it fresh.

    Every write to an incident takes this lock first; that serialises writers per incident, which
    makes the timeline sequence gapless and makes the rule checks that follow see the truth.
    With `skip_locked` (PostgreSQL), return None instead of waiting when someone else holds it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_incident() must run inside transaction.atomic().")
    locked = Incident.objects.select_for_update(of=("self",), skip_locked=skip_locked).select_related(
        "commander", "spokesperson"
    )
    return locked.filter(pk=incident_id).first() if skip_locked else locked.get(pk=incident_id)


def record(
    incident: Incident,
    kind: str,
    *,
    actor=None,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Append an entry to the timeline of `incident`, which the caller has locked, and announce it
    once the transaction commits."""
    if kind not in _kinds:
        raise LookupError(f"Timeline kind {kind!r} is not registered")
    if settings.CRISIS_CHECK_TIMELINE_PAYLOADS:
        check_payload(kind, data or {})
    seq = incident.last_seq + 1
    Incident.objects.filter(pk=incident.pk).update(last_seq=seq)
    incident.last_seq = seq
    entry = TimelineEntry.objects.create(incident=incident, seq=seq, kind=kind, actor=actor, text=text, data=data or {})
    events.announce(event_for(entry, restricted=incident.restricted))
    return entry
