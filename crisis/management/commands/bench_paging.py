"""Benchmark: from a declaration's commit to the page's arrival on the commander's open console.

    python manage.py bench_paging --declarations 200 --rate 5 [--url URL]

Starts an ASGI server (or uses --url), puts a benchmark commander on duty for the kind "other",
opens their personal websocket (/ws/me/, what every console page holds open for the badge and
the tray), and declares incidents through the services at the given rate as another user. For
each declaration it measures the time from the transaction's commit to the page's arrival on that
websocket. A page that has not arrived five seconds after the last declaration is lost. The
benchmark's incidents are stood down afterwards (their pages called off). The last line is one
JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from datetime import timedelta

import websockets
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.processes import asgi_server, child_env
from config.redis_runtime import free_port, redis_answers
from incidents import services
from incidents.benchmarks import bench_user, percentile
from incidents.oncall.models import DutyOverride, DutyPosition, DutyRotation, HandoverPeriod

KIND = "other"
GRACE_SECONDS = 5.0


class Listener:
    """The commander's open console: one websocket on /ws/me/, in its own thread, noting when
    each incident's page arrives."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.arrived: dict[int, float] = {}
        self.duplicated = 0
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> Listener:
        self._thread.start()
        if not self.ready.wait(15) or self.error:
            raise CommandError(f"the console websocket did not open: {self.error!r}")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _run(self) -> None:
        try:
            headers = {"Authorization": f"Token {self.token}"}
            async with websockets.connect(self.url, additional_headers=headers, max_size=2**20) as ws:
                while not self._stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
                    except TimeoutError:
                        continue
                    got = time.time()
                    message = json.loads(raw)
                    if message.get("type") == "hello":
                        self.ready.set()
                    elif message.get("type") == "notification" and message.get("event") == "incident_declared":
                        incident = message.get("topic_id")
                        if incident in self.arrived:
                            self.duplicated += 1
                        else:
                            self.arrived[incident] = got
        except BaseException as exc:  # reported by start() or in the figures
            self.error = exc
            self.ready.set()


class Command(BaseCommand):
    help = "Measure paging latency: declaration commit → page on the on-duty commander's open websocket."

    def add_arguments(self, parser):
        parser.add_argument("--declarations", type=int, default=200)
        parser.add_argument("--rate", type=float, default=5.0, help="declarations per second")
        parser.add_argument("--url", help="use a running console (http://host:port) instead of starting one")

    def handle(self, *args, **opts):
        if not redis_answers(settings.REDIS_URL):
            raise CommandError(f"No Redis at {settings.REDIS_URL}.")
        say = self.stderr.write
        commander = bench_user("bench-paging-commander", "command_incident")
        declarer = bench_user("bench-paging-declarer", "declare_incident")
        token = Token.objects.get_or_create(user=commander)[0].key
        on_duty = self._put_on_duty(commander)
        server, listener, committed, incidents = None, None, {}, []
        try:
            base = opts["url"]
            if not base:
                port = free_port()
                server = asgi_server(
                    child_env(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings")), port, "bench"
                )
                server.start()
                base = f"http://127.0.0.1:{port}"
            listener = Listener(base.replace("http", "ws", 1) + "/ws/me/", token).start()
            say(f"declaring {opts['declarations']} incidents at {opts['rate']}/s; {commander.username} is on duty …")
            start = time.monotonic()
            for n in range(opts["declarations"]):
                delay = start + n / opts["rate"] - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                incident_id, at = self._declare(declarer, n)
                committed[incident_id] = at
                incidents.append(incident_id)
            deadline = time.monotonic() + GRACE_SECONDS
            while time.monotonic() < deadline and len(listener.arrived.keys() & committed.keys()) < len(committed):
                time.sleep(0.05)
        finally:
            if listener is not None:
                listener.stop()
            if server is not None:
                server.stop()
            for incident_id in incidents:
                services.transition_incident(incident_id, by=commander, name="stand_down", note="benchmark over")
            on_duty()
        latency = [(listener.arrived[i] - at) * 1000 for i, at in committed.items() if i in listener.arrived]
        result = {
            "declarations": len(committed),
            "rate": opts["rate"],
            "server": "url" if opts["url"] else "uvicorn",
            "p50_ms": round(percentile(latency, 50), 2),
            "p95_ms": round(percentile(latency, 95), 2),
            "p99_ms": round(percentile(latency, 99), 2),
            "max_ms": round(max(latency, default=0.0), 2),
            "lost": len(committed) - len(latency),
            "duplicated": listener.duplicated,
        }
        self.stdout.write(
            f"paging: p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
            f"max {result['max_ms']} ms over {result['declarations']} declarations; lost {result['lost']}"
        )
        self.stdout.write(json.dumps(result))

    @staticmethod
    def _declare(declarer, n: int) -> tuple[int, float]:
        """Declare one incident; the moment is taken by the first after-commit hook, before the
        service's own (which publish the page)."""
        moment: dict[str, float] = {}
        with transaction.atomic():
            transaction.on_commit(lambda: moment.setdefault("at", time.time()))
            incident = services.declare_incident(by=declarer, kind=KIND, severity=3, title=f"[bench] paging {n}")
        return incident.pk, moment["at"]

    @staticmethod
    def _put_on_duty(commander):
        """Put the benchmark commander on duty for the kind (an override of the rotation there, or a
        rotation of their own); returns what undoes it."""
        rotation = DutyRotation.objects.filter(position=DutyPosition.PRIMARY, crisis_kind=KIND, active=True).first()
        if rotation is not None:
            now = timezone.now()
            override = DutyOverride.objects.create(
                rotation=rotation, user=commander, starts_at=now, ends_at=now + timedelta(hours=2), reason="benchmark"
            )
            return override.delete
        rotation = DutyRotation.objects.create(
            name="[bench] paging",
            position=DutyPosition.PRIMARY,
            crisis_kind=KIND,
            period=HandoverPeriod.DAILY,
            starts_on=timezone.localdate() - timedelta(days=1),
        )
        rotation.members.create(user=commander, order=0)
        return rotation.delete
