"""Child processes for the tests and the benchmarks: Celery workers, Celery beat, ASGI servers.

Each runs in its own process group (so that a kill takes its children with it, as a crashed
machine would) and keeps its recent output for diagnosis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Protocol pings find dead connections; per-message compression is off because it would
# compress the same event once per connected client (measured: the largest cost of fan-out).
UVICORN_WS_OPTIONS = ["--ws-ping-interval", "20", "--ws-ping-timeout", "20", "--ws-per-message-deflate", "false"]


def child_env(settings_module: str, **overrides: str) -> dict[str, str]:
    """Environment for a child process that uses this process's database, Redis, Celery queue and
    channel prefix (whatever they are now: the test database in the tests)."""
    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        user = db.get("USER") or ""
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        auth = f"{user}{password}@" if user else ""
        env["DATABASE_URL"] = f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["REDIS_URL"] = settings.REDIS_URL
    env["CELERY_QUEUE"] = settings.CELERY_TASK_DEFAULT_QUEUE
    env["CHANNEL_LAYER_PREFIX"] = settings.CHANNEL_LAYER_PREFIX
    env["PYTHONUNBUFFERED"] = "1"
    env.update(overrides)
    return env


class Process:
    """A child process in its own process group, with its output kept for diagnosis."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], ready_marker: str | None = None) -> None:
        self.name, self.args, self.env, self.ready_marker = name, args, env, ready_marker
        self.output: deque[str] = deque(maxlen=400)
        self.proc: subprocess.Popen | None = None
        self._ready = threading.Event()

    def start(self, timeout: float = 60) -> Process:
        self._ready.clear()
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        if self.ready_marker and not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"{self.name} did not become ready:\n" + "\n".join(self.output))
        return self

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.output.append(line.rstrip())
            if self.ready_marker and self.ready_marker in line:
                self._ready.set()

    def kill(self) -> None:
        """SIGKILL the whole process group: what a crashed machine or an OOM kill looks like."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return "\n".join(self.output)


def queues(env: dict[str, str]) -> tuple[str, str]:
    """The alarm queue and the delivery queue a child process with `env` uses (config.settings)."""
    alarms = env.get("CELERY_QUEUE", "crisis")
    return alarms, f"{alarms}-deliveries"


def celery_worker(env: dict[str, str], concurrency: int = 2, name: str = "w1", serve: str = "all") -> Process:
    """A worker for the alarm queue ("alarms"), the delivery queue ("deliveries") or both ("all").
    Production and `make run` give deliveries their own worker, so a slow receiver never holds up
    an alarm; tests that do not care about that run one worker for both."""
    alarm_queue, delivery_queue = queues(env)
    served = {"alarms": alarm_queue, "deliveries": delivery_queue, "all": f"{alarm_queue},{delivery_queue}"}[serve]
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", str(concurrency),
            "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "-Q", served]  # fmt: skip
    return Process(f"celery worker {name} ({serve})", args, env, ready_marker="ready.")


def celery_beat(env: dict[str, str], workdir: Path) -> Process:
    args = [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info",
            "-s", str(workdir / "beat-schedule"), "--pidfile", str(workdir / "beat.pid")]  # fmt: skip
    return Process("celery beat", args, env, ready_marker="beat: Starting")


def wait_for(condition, timeout: float, interval: float = 0.1):
    """Poll `condition` until it returns something truthy; return it (or the last falsy value)."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = condition()
    return value


def asgi_server(env: dict[str, str], port: int, name: str = "asgi", workers: int = 1) -> Process:
    """Uvicorn on 127.0.0.1:`port`. With several workers, the ready marker comes from the parent
    before the workers have loaded Django: wait for one "Application startup complete." each."""
    args = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", *UVICORN_WS_OPTIONS]  # fmt: skip
    if workers > 1:
        args += ["--workers", str(workers)]
    return Process(f"uvicorn {name}", args, env, ready_marker="Uvicorn running on")
