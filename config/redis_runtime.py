"""Finding or starting a Redis for `make run` and `make test`.

Order of preference (`provide`):
1. `REDIS_URL` from the environment;
2. (`make test` only) the Redis at 127.0.0.1:6379 when one answers;
3. a private `redis-server` from the PATH;
4. Debian's `redis-server`, installed where that can be done without asking (apt-get as root —
   the same rule `make test` follows for Chromium), then started privately;
5. only where none of that works, fakeredis' in-process TCP server with its Lua engine (lupa):
   Celery's Redis transport and channels-redis run Lua scripts, so without Lua the worker dies
   on its first `EVALSHA`. It keeps nothing across a restart and is announced loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from config import system_packages

INSTALL_HINT = "Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run again."
SHARED_LOCAL_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    """True when something at `url` answers PING like a Redis server."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            reply = s.recv(64)
    except OSError:
        return False
    # "-NOAUTH" still proves a Redis is there; the caller's URL carries the password then.
    return reply.startswith(b"+PONG") or reply.startswith(b"-NOAUTH")


@dataclass
class RedisHandle:
    url: str
    kind: str  # "external", "private", "fake"
    process: subprocess.Popen | None = None
    _server: object | None = field(default=None, repr=False)

    @property
    def durable(self) -> bool:
        return self.kind != "fake"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def start_private_redis(data_dir: Path, port: int | None = None, persist: bool = True) -> RedisHandle:
    binary = shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server")
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port if port and not port_open("127.0.0.1", port) else free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data_dir), "--save", ""]
    args += ["--appendonly", "yes" if persist else "no", "--protected-mode", "yes"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        if redis_answers(url, timeout=0.3):
            return RedisHandle(url=url, kind="private", process=process)
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not answer within 10 seconds")


def start_fake_redis(port: int | None = None) -> RedisHandle:
    # Imported here, not at the top: fakeredis (and lupa) are only loaded on the last resort.
    from fakeredis import TcpFakeServer

    port = port or free_port()
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True).start()
    return RedisHandle(url=f"redis://127.0.0.1:{port}/0", kind="fake", _server=server)


def warn_fake(stream=sys.stderr) -> None:
    bar = "!" * 78
    print(
        f"\n{bar}\n"
        "!! No redis-server on this machine: using fakeredis, an IN-PROCESS STAND-IN.\n"
        "!! It is NOT durable: queued timers and live updates vanish when it stops.\n"
        f"!! {INSTALL_HINT}\n"
        f"{bar}\n",
        file=stream,
        flush=True,
    )


def provide(
    data_dir: Path,
    *,
    say,
    port: int | None = None,
    persist: bool = True,
    shared_local: bool = False,
) -> RedisHandle:
    """A Redis for this run, by the order of preference in the module's docstring."""
    if os.environ.get("REDIS_URL"):
        say(f"Redis: {os.environ['REDIS_URL']} (from REDIS_URL)")
        return RedisHandle(url=os.environ["REDIS_URL"], kind="external")
    if shared_local and redis_answers(SHARED_LOCAL_URL):
        say(f"Redis: the real Redis at {SHARED_LOCAL_URL}")
        return RedisHandle(url=SHARED_LOCAL_URL, kind="external")
    if shutil.which("redis-server") is None and system_packages.can_install():
        say("Redis: no redis-server on this machine; installing Debian's package.")
        if not system_packages.apt_install(["redis-server"], say) or shutil.which("redis-server") is None:
            say("Redis: the installation did not give a redis-server on the PATH.")
    try:
        handle = start_private_redis(data_dir, port=port, persist=persist)
    except FileNotFoundError:
        handle = start_fake_redis()
        warn_fake()
        return handle
    say(f"Redis: private redis-server at {handle.url}, data in {data_dir}")
    return handle
