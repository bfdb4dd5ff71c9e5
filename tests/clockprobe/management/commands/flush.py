"""The test suite's `flush`: Django's, tried again when PostgreSQL chooses it as a deadlock victim.

Between transactional tests the database is emptied with one TRUNCATE while the suite's real Celery
worker and beat may still be sweeping alarms: their row locks and TRUNCATE's table locks can meet in
opposite orders, and PostgreSQL then cancels one side (seen once in CI). The sweep simply runs again
a second later; so does this. Only the test suite has this command (tests.clockprobe is a test app).
"""

from __future__ import annotations

import time

from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush

ATTEMPTS = 5


class Command(DjangoFlush):
    def handle(self, **options):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return super().handle(**options)
            except CommandError as exc:
                if attempt == ATTEMPTS or "deadlock" not in str(exc.__cause__).lower():
                    raise
                time.sleep(0.2 * attempt)
        return None
