"""`make run`: one command for the whole console on one machine.

Migrates, loads the default playbooks and demo users, finds or starts Redis, then runs the ASGI
server (HTTP and websockets), a Celery worker and Celery beat. Ctrl-C stops everything it started;
the data stays in var/ for the next run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from config import redis_runtime, system_packages
from config.processes import UVICORN_WS_OPTIONS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CRISIS_VAR_DIR", BASE_DIR / "var"))
PY = sys.executable


def say(message: str) -> None:
    print(f"[run] {message}", flush=True)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


def wait_http(url: str, timeout: float, processes: list[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return True
        except OSError:
            time.sleep(0.2)
    return False


def stop_all(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for p in processes:
        try:
            p.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def main() -> int:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    env["PYTHONUNBUFFERED"] = "1"

    system_packages.ensure_document_packages(say)
    redis = redis_runtime.provide(VAR_DIR / "redis", say=say, port=int(env.get("REDIS_PORT", "6390")))
    env["REDIS_URL"] = redis.url

    processes: list[subprocess.Popen] = []
    stopping = False

    def on_signal(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        say("Preparing the database …")
        manage("check_lineage", env=env)
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("load_defaults", env=env)
        manage("load_demo", env=env)

        def start(name: str, args: list[str]) -> None:
            say(f"starting {name}")
            processes.append(subprocess.Popen(args, cwd=BASE_DIR, env=env, start_new_session=True))

        start(
            "ASGI server (uvicorn)",
            [PY, "-m", "uvicorn", "config.asgi:application", "--host", host, "--port", str(port),
             "--no-access-log", *UVICORN_WS_OPTIONS],
        )  # fmt: skip
        alarm_queue = env.get("CELERY_QUEUE", "crisis")
        # Two workers: alarms never wait behind a slow e-mail server or webhook receiver.
        start(
            "Celery worker for alarms",
            [PY, "-m", "celery", "-A", "config", "worker", "-l", "warning", "--concurrency", "2",
             "-n", "alarms@%h", "-Q", alarm_queue],
        )  # fmt: skip
        start(
            "Celery worker for deliveries",
            [PY, "-m", "celery", "-A", "config", "worker", "-l", "warning", "--concurrency", "2",
             "-n", "deliveries@%h", "-Q", f"{alarm_queue}-deliveries"],
        )  # fmt: skip
        start(
            "Celery beat",
            [PY, "-m", "celery", "-A", "config", "beat", "-l", "warning",
             "-s", str(VAR_DIR / "celerybeat-schedule")],
        )  # fmt: skip

        url = f"http://{host}:{port}/"
        if not wait_http(url + "accounts/login/", 60, processes):
            say("The server did not come up; stopping.")
            return 1
        from crisis.demo import DEMO_PASSWORD, DEMO_USERS  # light import: no Django setup needed

        print("\n" + "=" * 64)
        print(f"  危机指挥台 Crisis console is running at {url}")
        print(f"  Demo logins (password {DEMO_PASSWORD}):")
        for username, display, group, _ in DEMO_USERS:
            print(f"    {username:<11} {group:<11} {display}")
        if not redis.durable:
            print("  WARNING: fakeredis in use — not durable (see above).")
        print("  Ctrl-C stops everything.")
        print("=" * 64 + "\n", flush=True)

        while not stopping:
            for p in processes:
                if p.poll() is not None:
                    say(f"a process exited (status {p.returncode}): {' '.join(p.args[:4])}; stopping")
                    stopping = True
            time.sleep(0.5)
        return 0
    except subprocess.CalledProcessError as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        say("stopping …")
        stop_all(processes)
        redis.stop()
        say("stopped.")


if __name__ == "__main__":
    sys.exit(main())
