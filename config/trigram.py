"""Trigram indexes for substring search on PostgreSQL (a migration operation any app can use).

`LIKE '%…%'` — the only matching that works for Chinese, which has no spaces between words — can
use a GIN index with pg_trgm's `gin_trgm_ops`. The extension is trusted (PostgreSQL 13+): a
database owner may install it. Where it cannot be installed, the migration says so and goes on:
search still works, by scanning. SQLite has no such index and needs none at its scale.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger(__name__)


def trigram_indexes(*columns: tuple[str, str]) -> migrations.RunPython:
    """A RunPython that creates (and on reverse drops) a trigram index per (table, column)."""

    def name(table: str, column: str) -> str:
        return f"{table}_{column}_trgm"[:63]

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        try:
            with transaction.atomic(using=schema_editor.connection.alias):
                schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError as exc:
            log.warning("pg_trgm is not available (%s); search works without its indexes", exc)
            return
        for table, column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{name(table, column)}" ON "{table}" USING gin ("{column}" gin_trgm_ops)'
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, column in columns:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{name(table, column)}"')

    return migrations.RunPython(forwards, backwards)
