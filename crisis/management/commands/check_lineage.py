"""Refuse, with a clear way out, a database written by migrations this code no longer has.

The December 2026 re-cut into domain apps (clock, notify, complaints, voice) started the
migrations afresh: no deployment existed yet. A developer's `var/` from before holds migrations
such as incidents.0003_complaints that no longer exist; migrating it would fail half-way with
"table already exists". `make run` runs this first and stops with instructions instead.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader


def unknown_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[tuple[str, str]]:
    """Migrations the database says it applied that no app of this code has (ours only)."""
    loader = MigrationLoader(connections[alias], ignore_no_migrations=True)
    ours = {"playbooks", "incidents", "clock", "notify", "complaints", "voice", "crisis"}
    return sorted(key for key in loader.applied_migrations if key[0] in ours and key not in loader.disk_migrations)


class Command(BaseCommand):
    help = "Fail with instructions when the database was migrated by code this checkout no longer has."

    def handle(self, *args, **options):
        unknown = unknown_migrations()
        if not unknown:
            return
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        database = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        raise CommandError(
            f"The database {database} was made by an older version of the console (it has migrations "
            f"this code no longer has: {names}). Its migrations were started afresh when the code was "
            "re-cut into domain apps, before any deployment. Move the old data aside and start again: "
            "`mv var var.old && make run` (or `make clean && make run`). The default playbooks and the "
            "demo users are loaded afresh; the old database stays in var.old/ to look at."
        )
