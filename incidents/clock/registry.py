"""What the clock knows of the domains above it: their owner types, registered in AppConfig.ready.

An owner type says how to lock an alarm's owner before the alarm row (the order every writer of
that owner uses) and what happens when one of its alarms goes off. The clock calls `lock` inside
the handling transaction, claims the alarm, and calls `act` with what `lock` returned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .models import Alarm


class Busy(Exception):
    """`lock` raises it when told not to wait (the sweep) and someone else holds the owner."""


class Gone(Exception):
    """`lock` raises it when the owner no longer exists: the alarm is claimed and does nothing."""


@dataclass(frozen=True)
class OwnerType:
    name: str
    # lock(owner_id, skip_locked) -> a context for `act`; raises Busy or Gone.
    lock: Callable[[int, bool], Any]
    # act(context, alarm): inside the same transaction, after the alarm was claimed.
    act: Callable[[Any, Alarm], None]
    # What people call it (a lazy translation), and the names of alarm kinds of its own, as pairs:
    # the admin shows these instead of codes.
    label: Any = ""
    kinds: tuple[tuple[str, Any], ...] = ()


_owner_types: dict[str, OwnerType] = {}


def register(owner_type: OwnerType) -> None:
    existing = _owner_types.get(owner_type.name)
    if existing is not None and existing != owner_type:
        raise ValueError(f"Alarm owner type {owner_type.name!r} is already registered")
    _owner_types[owner_type.name] = owner_type


def unregister(name: str) -> None:
    _owner_types.pop(name, None)


def owner_type(name: str) -> OwnerType:
    try:
        return _owner_types[name]
    except KeyError:
        raise LookupError(f"No alarm owner type {name!r} is registered") from None


def label_of(name: str) -> str:
    """The owner type's name for people, or its code when nobody registered one."""
    registered = _owner_types.get(name)
    return str(registered.label) if registered is not None and registered.label else name


def kind_label(owner_type_name: str, kind: str, common: dict[str, Any]) -> str:
    """An alarm kind's name: one every owner may use (`common`), else the owner type's own."""
    if kind in common:
        return str(common[kind])
    registered = _owner_types.get(owner_type_name)
    return str(dict(registered.kinds).get(kind, kind)) if registered is not None else kind


def labels() -> list[tuple[str, str]]:
    return sorted((name, label_of(name)) for name in _owner_types)
