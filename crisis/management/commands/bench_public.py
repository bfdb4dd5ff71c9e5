"""Benchmark: the public information page under a crowd, while a new statement is published.

    python manage.py bench_public [--clients 200] [--seconds 10] [--workers 2] [--processes 4]

It starts the ASGI server (DEBUG off, as in production; its own Celery queue and live channel) on
this database and Redis, publishes a public statement for an incident of its own, and has that many
keep-alive clients (threads spread over several client processes, so that the clients' own Python
is not the bottleneck) load GET /public/ for the given time, as an uncached crowd would (no
If-None-Match). Half-way through it publishes a new statement that supersedes the first, and every
client notes when it first sees the new one. The per-address rate limit is lifted for the server
(all clients are one address here).

The last line printed is one JSON object: `per_s` (pages answered per second), `p50_ms`,
`p95_ms`, `errors` (anything but a 200), `visible_after_s` (from the publish to the moment the last
client saw the new statement), and the settings used. At the end the benchmark's incident is
stood down.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from config.numbers import percentile
from config.processes import asgi_server, child_env, wait_for
from config.redis_runtime import free_port, redis_answers
from crisis import roles
from crisis.voice import services as voice
from incidents import services as incidents
from incidents.models import Incident
from playbooks.defaults import load_default_playbooks


def _client_process(port: int, threads: int, until: float, marker: str, out) -> None:
    """One client process: `threads` keep-alive clients until `until`; sends its findings to `out`."""
    lock = threading.Lock()
    times: list[float] = []
    errors: dict[str, int] = {}
    first_seen: list[float] = []

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, seen = [], None
        bad: dict[str, int] = {}
        while time.time() < until:
            began = time.perf_counter()
            try:
                conn.request("GET", "/public/", headers={"Accept-Language": "zh-hans"})
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                bad[type(exc).__name__] = bad.get(type(exc).__name__, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append((time.perf_counter() - began) * 1000)
            if response.status != 200:
                bad[str(response.status)] = bad.get(str(response.status), 0) + 1
            elif seen is None and marker.encode() in body:
                seen = time.time()
        conn.close()
        with lock:
            times.extend(mine)
            for kind, n in bad.items():
                errors[kind] = errors.get(kind, 0) + n
            if seen is not None:
                first_seen.append(seen)

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.send({"times": times, "errors": errors, "first_seen": first_seen, "clients": threads})
    out.close()


class Command(BaseCommand):
    help = "The public information page under a crowd of clients, with a statement published meanwhile."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=200)
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
        parser.add_argument("--processes", type=int, default=4, help="client processes the clients are spread over")

    def handle(self, *args, **opts):
        from django.conf import settings

        if not redis_answers(settings.REDIS_URL):
            raise CommandError(f"No Redis at {settings.REDIS_URL}.")
        if opts["clients"] < 1 or opts["seconds"] <= 0 or opts["processes"] < 1:
            raise CommandError("--clients, --seconds and --processes must be positive.")
        say = self.stderr.write
        run = f"{int(time.time()) % 36**5:05x}{os.getpid() % 256:02x}"
        load_default_playbooks()
        user = self._user()
        incident = incidents.declare_incident(
            by=user, commander=user, kind="site_safety", severity=3, title=f"bench-public {run}"
        )
        self._publish(incident, user, f"bench-public-first-{run}")

        port = free_port()
        env = child_env(
            os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"),
            CELERY_QUEUE=f"bench-public-{run}", CHANNEL_LAYER_PREFIX=f"bench-public-{run}",
            DJANGO_DEBUG="0", DJANGO_SECRET_KEY=settings.SECRET_KEY, DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_COOKIES="0", DJANGO_HSTS_SECONDS="0",
            CRISIS_PUBLIC_RATE="100000000/m",
        )  # fmt: skip
        server = asgi_server(env, port, "bench-public", workers=opts["workers"])
        server.start()
        try:
            if opts["workers"] > 1 and not wait_for(
                lambda: server.log().count("Application startup complete") >= opts["workers"], 60
            ):
                raise CommandError("uvicorn's workers did not start:\n" + server.log())
            figures = self._crowd(port, incident, user, run, opts, say)
            if figures["errors"]:
                say("the server's log ends:\n" + server.log()[-4000:])
        finally:
            server.stop()
            incidents.transition_incident(incident.pk, by=user, name="stand_down", note="benchmark over")
        self.stdout.write(json.dumps(figures))

    @staticmethod
    def _user():
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="bench-public", defaults={"is_superuser": True})
        roles.sync_groups()
        return user

    @staticmethod
    def _publish(incident: Incident, user, title: str):
        statement = voice.create_statement(incident.pk, by=user, audience="public", title=title, body=title)
        voice.submit_statement(statement.pk, by=user)
        voice.approve_statement(statement.pk, by=user)
        return voice.publish_statement(statement.pk, by=user)

    def _crowd(self, port: int, incident: Incident, user, run: str, opts, say) -> dict:
        marker = f"bench-public-second-{run}"
        # Warm every worker (imports, templates) before the clock starts.
        for _ in range(8 * opts["workers"]):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/public/")
            conn.getresponse().read()
            conn.close()
        processes = min(opts["processes"], opts["clients"])
        share = [opts["clients"] // processes + (1 if i < opts["clients"] % processes else 0) for i in range(processes)]
        connections.close_all()  # the children are forked: they must not share this process's connections
        started = time.time()
        until = started + opts["seconds"]
        context = multiprocessing.get_context("fork")
        pipes, children = [], []
        for threads in share:
            receive, send = context.Pipe(duplex=False)
            child = context.Process(target=_client_process, args=(port, threads, until, marker, send))
            child.start()
            pipes.append(receive)
            children.append(child)
        time.sleep(opts["seconds"] / 2)
        self._publish(incident, user, marker)
        published_at = time.time()
        say(f"published the new statement at +{published_at - started:.1f} s")
        results = [pipe.recv() for pipe in pipes]
        for child in children:
            child.join()
        elapsed = time.time() - started
        times = [t for r in results for t in r["times"]]
        seen = [t for r in results for t in r["first_seen"]]
        saw_it = len(seen)
        return {
            "clients": opts["clients"],
            "seconds": round(elapsed, 1),
            "server_workers": opts["workers"],
            "client_processes": processes,
            "pages": len(times),
            "per_s": round(len(times) / elapsed, 1),
            "p50_ms": round(percentile(times, 50), 1) if times else None,
            "p95_ms": round(percentile(times, 95), 1) if times else None,
            "errors": sum(n for r in results for n in r["errors"].values()),
            "error_kinds": {k: sum(r["errors"].get(k, 0) for r in results) for r in results for k in r["errors"]},
            "clients_that_saw_the_new_statement": saw_it,
            "visible_after_s": round(max(seen) - published_at, 2) if saw_it == opts["clients"] else None,
            "database": connections["default"].vendor,
        }
