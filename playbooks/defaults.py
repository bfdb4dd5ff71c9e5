"""The default playbooks, shipped as data files in playbooks/defaults/ (format: playbooks/FORMAT.md).

Loading is idempotent: a playbook that already exists (by its identifier) is left alone, since an
admin may have edited it since; a missing one is imported and published, and becomes the default
for its kind unless that kind already has one.

Upgrading (`load_defaults --upgrade`) is for a new release whose default playbooks correct the
old ones (e.g. a legal clock that is the authority's, not the company's): a shipped file that
differs from the playbook's published version is published as its next version. The version it
replaces — an admin's edits included — stays as a retired version, with a diff in the admin.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from .exchange import import_text, parse, version_to_dict
from .models import Playbook
from .services import publish

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


def default_files() -> list[Path]:
    return sorted(DEFAULTS_DIR.glob("*.yaml"))


class _Unchanged(Exception):
    """The shipped file says what the published version says: nothing to publish."""


def _content(version) -> dict:
    data = version_to_dict(version)
    data["version"].pop("notes", None)  # a new release's notes alone are no reason for a new version
    return data


def load_default_playbooks(*, upgrade: bool = False) -> list[str]:
    """The slugs of the default playbooks, each now present (and, with `upgrade`, current)."""
    loaded = []
    for path in default_files():
        text = path.read_text(encoding="utf-8")
        parsed = parse(text)
        slug, kind = parsed.playbook["slug"], parsed.playbook["kind"]
        with transaction.atomic():
            existing = Playbook.objects.select_for_update().filter(slug=slug).first()
            if existing is None:
                version = import_text(text, publish=True)
                if not Playbook.objects.filter(kind=kind, is_default=True).exists():
                    Playbook.objects.filter(pk=version.playbook_id).update(is_default=True)
            elif upgrade:
                _upgrade(existing, text)
        loaded.append(slug)
    return loaded


def _upgrade(playbook: Playbook, text: str) -> None:
    current = playbook.published_version
    try:
        with transaction.atomic():  # a savepoint: an unchanged file leaves no draft behind
            draft = import_text(text)
            if current is not None and _content(draft) == _content(current):
                raise _Unchanged
            publish(draft)
    except _Unchanged:
        pass
