"""Benchmark: commit-to-receipt latency of live updates, against a minimal relay.

    python manage.py bench_fanout --clients 500 --rate 10 --events 200 [--url URL] [--server uvicorn|daphne]

Starts the ASGI server (or uses --url), connects that many token-authenticated websocket clients
(in separate client processes) to one incident, produces events through the services at the
given rate (notes on the incident's timeline), and measures, for every client and event, the
time from the entry's commit timestamp to its receipt. Then it does the same through a minimal
relay (Redis pub/sub straight to websockets, no Django) with messages of the same size, and
prints both. The last line is one JSON object with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from config.processes import ROOT, Process, asgi_server, child_env
from config.redis_runtime import free_port, redis_answers
from incidents import services
from incidents.benchmarks import bench_user, percentile
from incidents.models import Incident, TimelineEntry
from incidents.timeline import event_for


def spawn_clients(url: str, total: int, processes: int, headers: dict[str, str]) -> list[subprocess.Popen]:
    procs = []
    share = [total // processes + (1 if n < total % processes else 0) for n in range(processes)]
    for count in share:
        if count:
            args = [sys.executable, "-m", "crisis.benchmarks.clients", url, str(count)]
            args += [f"{k}={v}" for k, v in headers.items()]
            procs.append(
                subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
            )
    ready = 0
    for proc in procs:
        line = proc.stdout.readline()
        if not line:
            raise CommandError("a client process died while connecting")
        ready += json.loads(line)["ready"]
    if ready < total:
        raise CommandError(f"only {ready} of {total} clients connected")
    return procs


def collect(procs: list[subprocess.Popen], log=None) -> list[tuple[int, int, float, float]]:
    records = []
    closed = []
    for offset, proc in enumerate(procs):
        out, _ = proc.communicate("stop\n", timeout=120)
        result = json.loads(out.strip().splitlines()[-1])
        closed += result.get("closed", [])
        for client, seq, at, got in result["received"]:
            records.append((offset * 100_000 + client, seq, at, got))
    if closed and log:
        codes = {}
        for _, code, reason in closed:
            codes[(code, reason)] = codes.get((code, reason), 0) + 1
        log(f"connections closed early: {sum(codes.values())}: {codes}")
    return records


def figures(records, expected_seqs: set[int], clients: int) -> dict:
    seen: dict[tuple[int, int], float] = {}
    duplicates = 0
    for client, seq, at, got in records:
        if seq not in expected_seqs:
            continue
        if (client, seq) in seen:
            duplicates += 1
            continue
        seen[(client, seq)] = (got - at) * 1000 if at is not None else None
    latency = [v for v in seen.values() if v is not None]
    return {
        "p50_ms": round(percentile(latency, 50), 2),
        "p95_ms": round(percentile(latency, 95), 2),
        "p99_ms": round(percentile(latency, 99), 2),
        "max_ms": round(max(latency, default=0.0), 2),
        "mean_ms": round(statistics.fmean(latency), 2) if latency else 0.0,
        "lost": clients * len(expected_seqs) - len(seen),
        "duplicated": duplicates,
    }


class Command(BaseCommand):
    help = "Measure live fan-out latency (p50/p95/p99/max, lost) against a minimal Redis→websocket relay."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=500)
        parser.add_argument("--rate", type=float, default=10.0, help="events per second")
        parser.add_argument("--events", type=int, default=200)
        parser.add_argument("--url", help="use a running console (http://host:port) instead of starting one")
        parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
        parser.add_argument("--client-procs", type=int, default=2, help="processes the clients are spread over")
        parser.add_argument("--skip-relay", action="store_true")

    def handle(self, *args, **opts):
        from django.conf import settings

        if not redis_answers(settings.REDIS_URL):
            raise CommandError(f"No Redis at {settings.REDIS_URL}.")
        say = self.stderr.write
        user = self._bench_user()
        key = Token.objects.get_or_create(user=user)[0].key
        incident = services.declare_incident(
            by=user, kind="other", severity=4, title="[bench] fan-out", restricted=True, commander=user
        )
        server = None
        try:
            base = opts["url"]
            if not base:
                server, base = self._start_server(opts["server"])
            ws_url = base.replace("http", "ws", 1) + f"/ws/incidents/{incident.pk}/?after={incident.last_seq}"
            say(f"connecting {opts['clients']} clients to {ws_url} …")
            procs = spawn_clients(ws_url, opts["clients"], opts["client_procs"], {"Authorization": f"Token {key}"})
            time.sleep(2)  # let the server finish the last joins (replays, presence) before measuring
            say(f"producing {opts['events']} events at {opts['rate']}/s through the services …")
            seqs = self._produce(incident, user, opts["events"], opts["rate"])
            time.sleep(3)
            console = figures(collect(procs, say), set(seqs), opts["clients"])
            size = self._payload_size(incident, seqs)
            relay = {} if opts["skip_relay"] else self._relay(opts, size)
        finally:
            if server is not None:
                server.stop()
            services.transition_incident(incident.pk, by=user, name="stand_down", note="benchmark over")
        result = {
            "clients": opts["clients"],
            "rate": opts["rate"],
            "events": opts["events"],
            "server": "url" if opts["url"] else opts["server"],
            "message_bytes": size,
            **console,
        }
        if relay:
            result.update({f"relay_{k}": v for k, v in relay.items()})
            result["ratio_p99"] = round(console["p99_ms"] / relay["p99_ms"], 2) if relay["p99_ms"] else None
        self.stdout.write(
            f"console: p50 {console['p50_ms']} ms, p95 {console['p95_ms']} ms, p99 {console['p99_ms']} ms, "
            f"max {console['max_ms']} ms, lost {console['lost']}, duplicated {console['duplicated']}"
        )
        if relay:
            self.stdout.write(
                f"minimal relay: p50 {relay['p50_ms']} ms, p95 {relay['p95_ms']} ms, p99 {relay['p99_ms']} ms, "
                f"max {relay['max_ms']} ms, lost {relay['lost']}; ratio of p99s {result['ratio_p99']}"
            )
        self.stdout.write(json.dumps(result))

    def _bench_user(self):
        return bench_user("bench-fanout", "declare_incident", "command_incident")

    def _start_server(self, kind: str) -> tuple[Process, str]:
        port = free_port()
        env = child_env(os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings"))
        if kind == "daphne":
            args = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
            server = Process("daphne", args, env, ready_marker="Listening on TCP address")
        else:
            server = asgi_server(env, port, "bench")
        server.start()
        return server, f"http://127.0.0.1:{port}"

    @staticmethod
    def _produce(incident: Incident, user, events: int, rate: float) -> list[int]:
        seqs = []
        start = time.monotonic()
        for n in range(events):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            entry = services.add_note(incident.pk, by=user, text=f"bench event {n}")
            seqs.append(entry.seq)
        return seqs

    @staticmethod
    def _payload_size(incident: Incident, seqs: list[int]) -> int:
        entry = TimelineEntry.objects.get(incident=incident, seq=seqs[len(seqs) // 2])
        return len(event_for(entry, restricted=True).wire().encode())

    def _relay(self, opts, size: int) -> dict:
        from django.conf import settings

        port, channel = free_port(), f"bench-relay-{os.getpid()}"
        relay = Process(
            "relay",
            [sys.executable, "-m", "crisis.benchmarks.relay", str(port), settings.REDIS_URL, channel],
            dict(os.environ),
            ready_marker="relay ready",
        ).start()
        try:
            self.stderr.write(f"the same through a minimal relay ({size}-byte messages) …")
            procs = spawn_clients(f"ws://127.0.0.1:{port}/", opts["clients"], opts["client_procs"], {})
            import redis

            client = redis.Redis.from_url(settings.REDIS_URL)
            padding = "x" * max(size - 60, 0)
            start = time.monotonic()
            for n in range(opts["events"]):
                delay = start + n / opts["rate"] - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                client.publish(channel, json.dumps({"seq": n + 1, "at": time.time(), "pad": padding}))
            time.sleep(3)
            return figures(collect(procs, self.stderr.write), set(range(1, opts["events"] + 1)), opts["clients"])
        finally:
            relay.stop()
