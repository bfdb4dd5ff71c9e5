"""`make run` on a machine with no Redis: the console starts the way a new user starts it, and its
worker, beat and live updates all work.

The launcher runs as `make run` runs it (`python -m config.launcher`), with a PATH that holds no
`redis-server` and no `REDIS_URL`. Two machines are played:
- one where nothing can be installed: the launcher's last resort, fakeredis with Lua;
- one where apt-get works as root: the launcher installs Debian's redis-server and starts it
  privately. apt-get is the edge of the world here, so it is a small script that "installs" by
  linking the machine's real redis-server into its own folder, and records how it was called.
Either way an incident is declared over the API, one of its deadlines moved a few seconds out,
and the breach must come back over the incident's websocket, handled by the real worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import stat
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import websockets
from django.db import connection

from config.processes import Process
from config.redis_runtime import free_port
from crisis.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[1]
REAL_REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the launcher keeps its own SQLite; one run is enough"),
]


def call(base: str, method: str, path: str, body: dict | None = None, key: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, method=method)
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Token {key}")
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read() or b"{}")


def launcher_env(tmp_path: Path, path_dirs: list[Path]) -> dict[str, str]:
    # Nothing of the suite's own wiring may leak in: the launcher must find everything itself.
    dropped = {"REDIS_URL", "DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE", "CELERY_QUEUE"}
    dropped |= {"CHANNEL_LAYER_PREFIX", "CRISIS_TEST_RUN", "CRISIS_SYSTEM_INSTALL"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PATH"] = os.pathsep.join(str(d) for d in path_dirs)
    env["CRISIS_VAR_DIR"] = str(tmp_path / "var")
    env["PORT"] = str(free_port())
    env["REDIS_PORT"] = str(free_port())
    return env


def run_console(env: dict[str, str]) -> Process:
    launcher = Process("make run", [sys.executable, "-m", "config.launcher"], env, ready_marker="is running at")
    return launcher.start(timeout=240)


def breach_arrives_on_the_websocket(base: str) -> dict:
    """Declare, move a deadline three seconds out, and wait for its breach on the websocket."""
    _, body = call(base, "POST", "/api/auth/token/", {"username": "commander", "password": DEMO_PASSWORD})
    key = body["token"]
    _, users = call(base, "GET", "/api/users/?username=commander", key=key)
    me = users["results"][0]["id"] if "results" in users else users[0]["id"]
    status, incident = call(
        base,
        "POST",
        "/api/incidents/",
        {"kind": "site_safety", "severity": 2, "title": "Hoist fell at Block 2", "commander": me},
        key=key,
    )
    assert status == 201, incident
    _, deadlines = call(base, "GET", f"/api/incidents/{incident['id']}/deadlines/", key=key)
    deadlines = deadlines.get("results", deadlines)
    deadline = next(d for d in deadlines if d["state"] == "pending")
    _, timeline = call(base, "GET", f"/api/incidents/{incident['id']}/timeline/", key=key)
    entries = timeline.get("results", timeline)
    last_seq = entries[-1]["seq"]

    async def scenario() -> dict:
        url = base.replace("http", "ws", 1) + f"/ws/incidents/{incident['id']}/?after={last_seq}"
        async with websockets.connect(url, additional_headers={"Authorization": f"Token {key}"}) as ws:
            due = datetime.now(UTC) + timedelta(seconds=3)
            move = {"due_at": due.isoformat(), "reason": "no Redis on this machine"}
            status, _ = await asyncio.to_thread(call, base, "POST", f"/api/deadlines/{deadline['id']}/move/", move, key)
            assert status == 200
            give_up = time.monotonic() + 30
            while True:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=max(give_up - time.monotonic(), 0.1)))
                # Other breaches may come first (a first-hour task due at once); wait for ours.
                if message.get("type") == "breach" and message["data"].get("deadline") == deadline["id"]:
                    return message

    message = asyncio.run(scenario())
    assert message["incident"] == incident["id"] and "seq" in message
    _, listed = call(base, "GET", f"/api/incidents/{incident['id']}/deadlines/", key=key)
    listed = listed.get("results", listed)
    assert next(d for d in listed if d["id"] == deadline["id"])["state"] == "breached"
    return message


def stop_like_ctrl_c(launcher: Process) -> int:
    os.killpg(launcher.proc.pid, signal.SIGINT)
    return launcher.proc.wait(60)


def test_make_run_without_redis_falls_back_to_fakeredis_with_lua_and_everything_runs(tmp_path):
    venv_bin = Path(sys.executable).parent
    assert shutil.which("redis-server", path=str(venv_bin)) is None
    launcher = run_console(launcher_env(tmp_path, [venv_bin]))
    try:
        base = f"http://127.0.0.1:{launcher.env['PORT']}"
        assert "IN-PROCESS STAND-IN" in launcher.log()
        breach_arrives_on_the_websocket(base)
        time.sleep(2)  # a worker that dies on its first Lua script dies within this
        assert launcher.proc.poll() is None, launcher.log()
        assert "Unrecoverable error" not in launcher.log()
    finally:
        code = stop_like_ctrl_c(launcher)
    assert code == 0, launcher.log()


@pytest.mark.skipif(os.geteuid() != 0, reason="the launcher installs system packages only as root")
@pytest.mark.skipif(not Path(REAL_REDIS).exists(), reason="needs the machine's redis-server to play the installed one")
def test_make_run_without_redis_installs_debians_redis_server_where_it_can(tmp_path):
    venv_bin = Path(sys.executable).parent
    apt_dir = tmp_path / "fake-apt"
    apt_dir.mkdir()
    record = tmp_path / "apt-calls"
    script = apt_dir / "apt-get"
    script.write_text(
        "#!/bin/sh\nPATH=/usr/bin:/bin\n"
        f'echo "$@" >> "{record}"\n'
        'case " $* " in *" install "*redis-server*) '
        f'ln -sf "{REAL_REDIS}" "{apt_dir}/redis-server";; esac\n'
        "exit 0\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    launcher = run_console(launcher_env(tmp_path, [venv_bin, apt_dir]))
    try:
        base = f"http://127.0.0.1:{launcher.env['PORT']}"
        assert "install -y -q redis-server" in record.read_text()
        assert "private redis-server" in launcher.log(), launcher.log()
        assert "IN-PROCESS STAND-IN" not in launcher.log()
        breach_arrives_on_the_websocket(base)
    finally:
        code = stop_like_ctrl_c(launcher)
    assert code == 0, launcher.log()
