"""The default playbooks, shipped as data files in playbooks/defaults/ (format: playbooks/FORMAT.md).

Loading is idempotent: a playbook that already exists (by its identifier) is left alone, since an
admin may have edited it since; a missing one is imported and published, and becomes the default
for its kind unless that kind already has one.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from .exchange import import_text, parse
from .models import Playbook

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"


def default_files() -> list[Path]:
    return sorted(DEFAULTS_DIR.glob("*.yaml"))


def load_default_playbooks() -> list[str]:
    loaded = []
    for path in default_files():
        text = path.read_text(encoding="utf-8")
        parsed = parse(text)
        slug, kind = parsed.playbook["slug"], parsed.playbook["kind"]
        with transaction.atomic():
            if not Playbook.objects.filter(slug=slug).exists():
                version = import_text(text, publish=True)
                if not Playbook.objects.filter(kind=kind, is_default=True).exists():
                    Playbook.objects.filter(pk=version.playbook_id).update(is_default=True)
        loaded.append(slug)
    return loaded
