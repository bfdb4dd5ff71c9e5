"""`make test`: lint, then the whole suite on SQLite and again on PostgreSQL, against a real Redis.

- Redis: REDIS_URL if set; else the one at 127.0.0.1:6379 when it answers; else a private
  redis-server started here; only where there is none, fakeredis, announced loudly.
- PostgreSQL: TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test when it answers.
  Without one the PostgreSQL pass is skipped with a warning, unless REQUIRE_POSTGRES=1 (CI).
- Chromium for the browser tests: installed from Debian's packages when missing and possible.
Extra arguments go to pytest, e.g. `python -m tests.suite -k handover`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from config import redis_runtime, system_packages

BASE_DIR = Path(__file__).resolve().parent.parent
PY = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def say(message: str) -> None:
    print(f"\n[test] {message}", flush=True)


def step(args: list[str], env: dict[str, str] | None = None) -> bool:
    return subprocess.run(args, cwd=BASE_DIR, env=env).returncode == 0


# CJK fonts: screenshots and PDF exports show Chinese, not boxes; Pango: WeasyPrint's PDF exports.
PACKAGES = ["chromium", "chromium-driver", *system_packages.DOCUMENT_PACKAGES]


def ensure_chromium() -> None:
    if Path("/usr/bin/chromium").exists() and system_packages.documents_ready():
        return
    if not system_packages.can_install():
        say("Chromium is missing and cannot be installed here (needs apt-get as root); browser tests will skip.")
        return
    system_packages.apt_install(PACKAGES, say)
    if not Path("/usr/bin/chromium").exists():
        say("Chromium could not be installed; browser tests will skip.")


def find_redis() -> redis_runtime.RedisHandle:
    handle = redis_runtime.provide(BASE_DIR / "var" / "test-redis", say=say, persist=False, shared_local=True)
    if not handle.durable:
        say(f"Redis: FALLING BACK to fakeredis at {handle.url}; the suite is NOT testing against a real Redis.")
    return handle


def find_postgres() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG
    parsed = urlparse(url)
    if redis_runtime.port_open(parsed.hostname or "127.0.0.1", parsed.port or 5432):
        return url
    return None


def main(pytest_args: list[str]) -> int:
    started = time.monotonic()
    results: list[tuple[str, bool]] = []
    say("ruff: lint and format check")
    results.append(("ruff check", step([PY, "-m", "ruff", "check", "."])))
    results.append(("ruff format --check", step([PY, "-m", "ruff", "format", "--check", "."])))

    ensure_chromium()
    redis = find_redis()
    try:
        base_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        base_env["REDIS_URL"] = redis.url
        base_env["DJANGO_SETTINGS_MODULE"] = "tests.settings"

        say("pytest on SQLite")
        sqlite_env = {**base_env, "CRISIS_TEST_RUN": f"{os.getpid()}-sqlite"}
        results.append(("pytest (SQLite)", step([PY, "-m", "pytest", *pytest_args], env=sqlite_env)))

        pg = find_postgres()
        if pg:
            say(f"pytest on PostgreSQL ({pg})")
            pg_env = {**base_env, "DATABASE_URL": pg, "CRISIS_TEST_RUN": f"{os.getpid()}-pg"}
            results.append(("pytest (PostgreSQL)", step([PY, "-m", "pytest", *pytest_args], env=pg_env)))
        elif os.environ.get("REQUIRE_POSTGRES") == "1":
            say("PostgreSQL is required (REQUIRE_POSTGRES=1) but does not answer.")
            results.append(("pytest (PostgreSQL)", False))
        else:
            say("WARNING: no PostgreSQL answers; the PostgreSQL pass was SKIPPED. Set TEST_DATABASE_URL to run it.")
    finally:
        redis.stop()

    say(f"summary ({time.monotonic() - started:.0f} s)")
    for name, ok in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    return 0 if all(ok for _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
