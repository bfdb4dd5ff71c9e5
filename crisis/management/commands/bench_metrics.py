"""Benchmark: the statistics over a large record.

    python manage.py bench_metrics --incidents 10000 --complaints 100000 --requests 40

Fills the database up to the given numbers of incidents and complaints (bulk inserts, marked
"bench-metrics", spread over the last 30 days: commanders, published statements, duties met,
breached and waived, containment and resolution on the timeline; complaints with their
acknowledgement limits and satisfaction), then asks `GET /api/metrics/incidents/` and
`GET /api/metrics/complaints/` and the statistics page for the 30 days as an executive, through
Django's full request stack, `--requests` times each. The last line is one JSON object: `p50_ms`, `p95_ms` over all
requests, `queries` (per request, the most any took) and the sizes. Run it at two sizes to see that
the number of queries does not grow with the data.
"""

from __future__ import annotations

import json
import random
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, connections, transaction
from django.db.backends.signals import connection_created
from django.test import Client
from django.utils import timezone

from config.numbers import percentile
from crisis.voice.models import Statement, StatementState
from incidents.benchmarks import bench_user
from incidents.complaints.models import Complaint, ComplaintDeadline
from incidents.models import Deadline, EntryKind, Incident, RoleAssignment, Status, TimelineEntry

MARK = "bench-metrics"
BATCH = 2000


class QueryCounter:
    """Counts the queries of every connection, the ones other threads open included (the statistics
    page computes its two halves side by side, the second on a connection of its own)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        with self._lock:
            self.count += 1
        return execute(sql, params, many, context)

    def _watch(self, sender, connection, **kwargs) -> None:
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def __enter__(self) -> QueryCounter:
        connection_created.connect(self._watch)
        connection.ensure_connection()
        self._watch(None, connection)
        return self

    def __exit__(self, *exc) -> None:
        connection_created.disconnect(self._watch)
        for each in connections.all(initialized_only=True):
            if self in each.execute_wrappers:
                each.execute_wrappers.remove(self)


class Command(BaseCommand):
    help = "Time the statistics API over a large record; prints JSON as its last line."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=10_000)
        parser.add_argument("--complaints", type=int, default=100_000)
        parser.add_argument("--requests", type=int, default=40)

    def handle(self, *args, incidents: int, complaints: int, requests: int, **options):
        user = bench_user("bench-metrics-exec", "view_restricted_incident")
        started = time.perf_counter()
        self._fill_incidents(user, incidents)
        self._fill_complaints(user, complaints)
        filled = time.perf_counter() - started
        client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
        client.force_login(user)
        today = timezone.localdate()
        first, last = (today - timedelta(days=29)).isoformat(), today.isoformat()
        api_query, page_query = f"?from={first}&to={last}", f"?start={first}&end={last}"
        times, most_queries, by_path = [], 0, {}
        for path, query in (
            ("/api/metrics/incidents/", api_query),
            ("/api/metrics/complaints/", api_query),
            ("/statistics/", page_query),  # both computations and four charts, in one page
        ):
            these = []
            for _ in range(requests):
                with QueryCounter() as queries:
                    began = time.perf_counter()
                    response = client.get(path + query)
                    these.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
                most_queries = max(most_queries, queries.count)
            times += these
            by_path[path] = {"p50_ms": round(percentile(these, 50), 1), "p95_ms": round(percentile(these, 95), 1)}
        figures = {
            "incidents": Incident.objects.filter(title__startswith=MARK).count(),
            "complaints": Complaint.objects.filter(description__startswith=MARK).count(),
            "requests": len(times),
            "p50_ms": round(percentile(times, 50), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "queries": most_queries,
            "by_path": by_path,
            "fill_seconds": round(filled, 1),
            "database": connection.vendor,
        }
        self.stdout.write(json.dumps(figures))

    def _fill_incidents(self, user, wanted: int) -> None:
        have = Incident.objects.filter(title__startswith=MARK).count()
        rng = random.Random(have)  # noqa: S311 - invented data, not secrets
        now = timezone.now()
        while have < wanted:
            n = min(BATCH, wanted - have)
            with transaction.atomic():
                rows = []
                for i in range(n):
                    detected = now - timedelta(minutes=rng.randint(60, 29 * 24 * 60))
                    rows.append(
                        Incident(
                            kind=rng.choice(["site_safety", "online_outrage", "owner_protest", "mis_sold_unit"]),
                            severity=rng.randint(1, 4), title=f"{MARK} {have + i}", reported_by=user,
                            detected_at=detected, declared_at=detected + timedelta(minutes=rng.randint(1, 30)),
                            status=Status.CLOSED, closed_at=detected + timedelta(hours=8), last_seq=2,
                        )
                    )  # fmt: skip
                made = Incident.objects.bulk_create(rows)
                if made[0].pk is None:  # a backend that does not return keys
                    made = list(Incident.objects.filter(title__startswith=MARK).order_by("-pk")[:n])
                roles, statements, deadlines, entries = [], [], [], []
                for incident in made:
                    d = incident.detected_at
                    roles.append(RoleAssignment(incident=incident, user=user, role="commander",
                                                started_at=d + timedelta(minutes=rng.randint(2, 60)),
                                                ended_at=d + timedelta(hours=8)))  # fmt: skip
                    if rng.random() < 0.7:
                        statements.append(Statement(
                            incident=incident, audience="public", title="情况通报", body="……", drafted_by=user,
                            state=StatementState.PUBLISHED, published_by=user, approved_by=user,
                            approved_at=d + timedelta(minutes=40),
                            published_at=d + timedelta(minutes=rng.randint(20, 120)),
                            approved_title="情况通报", approved_body="……",
                        ))  # fmt: skip
                    for late in (False, rng.random() < 0.3):
                        due = d + timedelta(minutes=60)
                        deadlines.append(Deadline(
                            incident=incident, audience="regulator", title_zh="报告", title_en="Report", due_at=due,
                            state="met", met_at=due + timedelta(minutes=20 if late else -20),
                        ))  # fmt: skip
                    for seq, (to, hours) in enumerate((("contained", 2), ("resolved", 6)), start=1):
                        entries.append(TimelineEntry(
                            incident=incident, seq=seq, kind=EntryKind.TRANSITION, actor=user,
                            at=d + timedelta(hours=hours, minutes=rng.randint(0, 59)), data={"to": to},
                        ))  # fmt: skip
                RoleAssignment.objects.bulk_create(roles)
                Statement.objects.bulk_create(statements)
                Deadline.objects.bulk_create(deadlines)
                TimelineEntry.objects.bulk_create(entries)
            have += n

    def _fill_complaints(self, user, wanted: int) -> None:
        have = Complaint.objects.filter(description__startswith=MARK).count()
        rng = random.Random(have)  # noqa: S311 - invented data, not secrets
        now = timezone.now()
        while have < wanted:
            n = min(BATCH * 2, wanted - have)
            with transaction.atomic():
                rows = [
                    Complaint(
                        channel=rng.choice(["hotline", "wechat", "weibo", "walk_in"]),
                        category=rng.choice(["repair", "product_quality", "price_fees", "service_attitude"]),
                        project=f"项目{rng.randint(1, 40)}",
                        description=f"{MARK} {have + i}",
                        logged_by=user,
                        received_at=now - timedelta(minutes=rng.randint(10, 29 * 24 * 60)),
                        satisfaction=rng.choice([None, 1, 2, 3, 4, 5]),
                    )
                    for i in range(n)
                ]
                made = Complaint.objects.bulk_create(rows)
                if made[0].pk is None:
                    made = list(Complaint.objects.filter(description__startswith=MARK).order_by("-pk")[:n])
                ComplaintDeadline.objects.bulk_create(
                    ComplaintDeadline(
                        complaint=c,
                        level=0,
                        kind="acknowledge",
                        due_at=c.received_at + timedelta(days=1),
                        state=rng.choice(["met", "met", "met", "breached", "pending"]),
                        met_at=c.received_at + timedelta(hours=rng.randint(1, 30)),
                    )
                    for c in made
                )
            have += n
