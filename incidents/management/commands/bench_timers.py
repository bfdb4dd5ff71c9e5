"""Benchmark: how late do breaches fire, and is any lost or duplicated — with or without a worker
being killed midway?

    python manage.py bench_timers --deadlines 1000 [--window 20] [--workers 2] [--kill-worker]

It starts its own Celery workers and beat on a private queue (against this database and Redis,
so a running console is not disturbed), declares incidents, adds the deadlines spread evenly over
the window, and waits. Lateness is the time between a breach's due moment and its handling, as
recorded in the database. With --kill-worker, the first worker's whole process group is killed
with SIGKILL halfway through the window (the ETA messages it holds die with it) and started again.
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from config.celery import app
from config.processes import celery_beat, celery_worker, child_env
from config.redis_runtime import redis_answers
from incidents import services
from incidents.alarms import DEADLINE
from incidents.benchmarks import bench_user, percentile
from incidents.clock.models import Alarm, AlarmKind
from incidents.models import Deadline, EntryKind, Incident, TimelineEntry


class Command(BaseCommand):
    help = "Measure breach lateness, lost and duplicated escalations, optionally killing a worker midway."

    def add_arguments(self, parser):
        parser.add_argument("--deadlines", type=int, default=1000)
        parser.add_argument("--window", type=float, default=20.0, help="seconds over which deadlines fall due")
        parser.add_argument("--lead", type=float, default=8.0, help="seconds before the first deadline falls due")
        parser.add_argument("--incidents", type=int, default=50, help="incidents to spread the deadlines over")
        parser.add_argument("--workers", type=int, default=2, help="worker processes (production runs several)")
        parser.add_argument("--concurrency", type=int, default=2, help="pool size of each worker")
        parser.add_argument("--kill-worker", action="store_true", help="SIGKILL the first worker midway, restart it")
        parser.add_argument("--grace", type=float, default=30.0, help="seconds to wait after the window")

    def handle(self, *args, **opts):
        from django.conf import settings

        if not redis_answers(settings.REDIS_URL):
            raise CommandError(f"No Redis at {settings.REDIS_URL}.")
        queue = f"bench-timers-{os.getpid()}"
        app.conf.task_default_queue = queue  # this process's ETA messages go to the bench's workers
        env = child_env(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"), CELERY_QUEUE=queue)
        workdir = Path(tempfile.mkdtemp(prefix="bench-timers-"))
        workers = [celery_worker(env, opts["concurrency"], name=f"bench{n}") for n in range(opts["workers"])]
        beat = celery_beat(env, workdir)
        say = self.stderr.write
        say(f"starting {len(workers)} worker(s) and beat on queue {queue} …")
        for process in [*workers, beat]:
            process.start()
        incidents: list[Incident] = []
        try:
            commander = self._bench_user()
            incidents = [
                services.declare_incident(
                    by=commander,
                    kind="other",
                    severity=4,
                    title=f"[bench] timers {n}",
                    restricted=True,
                    commander=commander,
                )
                for n in range(opts["incidents"])
            ]
            count, window = opts["deadlines"], opts["window"]
            # Adding a deadline is a transaction of its own; time a few so that the window starts
            # only after all of them exist (lateness is about the timers, not about inserting).
            per_add = self._calibrate(incidents[0], commander)
            lead = max(opts["lead"], 5 + 2.0 * per_add * count)
            say(f"adding one deadline takes about {per_add * 1000:.1f} ms; the window starts in {lead:.0f}s")
            start = timezone.now() + timedelta(seconds=lead)
            say(f"adding {count} deadlines due between +{lead:.0f}s and +{lead + window:.0f}s …")
            deadlines = []
            for n in range(count):
                due = start + timedelta(seconds=window * n / max(count - 1, 1))
                deadlines.append(
                    services.add_deadline(
                        incidents[n % len(incidents)].pk,
                        by=commander,
                        audience="internal",
                        title=f"bench {n}",
                        due_at=due,
                        escalate_to=["commander"],
                    )
                )
            late_by = (timezone.now() - start).total_seconds()
            if late_by > 0:
                say(f"warning: adding took until {late_by:.1f}s after the first due time; raise --lead")
            ids = [d.pk for d in deadlines]
            if opts["kill_worker"]:
                self._sleep_until(start + timedelta(seconds=window / 2))
                say("killing worker bench0 (SIGKILL to its process group) and starting it again …")
                workers[0].kill()
                workers[0].start()
            end = start + timedelta(seconds=window + opts["grace"])
            while timezone.now() < end:
                if not Alarm.objects.pending().owned_by(DEADLINE, ids).filter(kind=AlarmKind.BREACH).exists():
                    break
                time.sleep(0.25)
            time.sleep(2)  # room for duplicates to show
            result = self._figures(ids, opts)
        finally:
            for process in [beat, *workers]:
                process.stop()
            app.control.purge()
            for incident in incidents:
                services.transition_incident(
                    incident.pk, by=self._bench_user(), name="stand_down", note="benchmark over"
                )
        self.stdout.write(
            f"breach lateness over {result['deadlines']} deadlines: p50 {result['p50_s']:.3f}s, "
            f"p95 {result['p95_s']:.3f}s, p99 {result['p99_s']:.3f}s, max {result['max_s']:.3f}s; "
            f"lost {result['lost']}, duplicated {result['duplicated']}; handled by ETA task "
            f"{result['via_eta']}, by sweep {result['via_sweep']}"
        )
        self.stdout.write(json.dumps(result))

    def _bench_user(self):
        return bench_user("bench-commander", "declare_incident", "command_incident")

    @staticmethod
    def _calibrate(incident, commander, samples: int = 20) -> float:
        began = time.perf_counter()
        probes = [
            services.add_deadline(
                incident.pk,
                by=commander,
                audience="internal",
                title="calibration",
                due_at=timezone.now() + timedelta(hours=2),
            )
            for _ in range(samples)
        ]
        elapsed = (time.perf_counter() - began) / samples
        for probe in probes:
            services.waive_deadline(probe.pk, by=commander, reason="calibration")
        return elapsed

    @staticmethod
    def _sleep_until(moment) -> None:
        delay = (moment - timezone.now()).total_seconds()
        if delay > 0:
            time.sleep(delay)

    @staticmethod
    def _figures(deadline_ids: list[int], opts) -> dict:
        breaches = Alarm.objects.owned_by(DEADLINE, deadline_ids).filter(
            kind=AlarmKind.BREACH, cancelled_at__isnull=True
        )
        handled = list(breaches.filter(handled_at__isnull=False).values_list("handled_at", "fire_at", "handled_via"))
        lateness = [(h - f).total_seconds() for h, f, _ in handled]
        lost = Deadline.objects.filter(pk__in=deadline_ids).exclude(state="breached").count()
        entries = (
            TimelineEntry.objects.filter(kind=EntryKind.BREACH, data__deadline__in=deadline_ids)
            .values("data__deadline")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .count()
        )
        return {
            "deadlines": len(deadline_ids),
            "window_s": opts["window"],
            "workers": opts["workers"],
            "kill_worker": bool(opts["kill_worker"]),
            "p50_s": round(percentile(lateness, 50), 4),
            "p95_s": round(percentile(lateness, 95), 4),
            "p99_s": round(percentile(lateness, 99), 4),
            "max_s": round(max(lateness, default=0.0), 4),
            "mean_s": round(statistics.fmean(lateness), 4) if lateness else 0.0,
            "lost": lost,
            "duplicated": entries,
            "via_eta": sum(1 for *_, via in handled if via == "eta"),
            "via_sweep": sum(1 for *_, via in handled if via == "sweep"),
        }
