"""Finding or starting a Redis for `make run` and `make test`.

Order of preference: REDIS_URL from the environment; a private redis-server started from PATH;
and, only where no redis-server exists at all, fakeredis' in-process TCP server, which speaks the
Redis protocol well enough for Celery and channels-redis but keeps nothing and is announced loudly.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

INSTALL_HINT = "Install Redis (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run again."


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
