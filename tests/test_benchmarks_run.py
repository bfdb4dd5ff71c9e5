"""The benchmark commands still run, end to end, at a toy size: each on its own SQLite file and the
suite's Redis, as `make bench-…` runs it. The figures are not judged here (benchmarks print
figures, tests do not time things); only that the command finishes, loses nothing and prints its
JSON as its last line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="one run is enough: they bring their own database"),
]

COMMANDS = {
    "bench_timers": ["--deadlines", "12", "--window", "3", "--lead", "4", "--incidents", "3", "--workers", "1",
                     "--grace", "10"],
    "bench_fanout": ["--clients", "4", "--rate", "20", "--events", "10", "--client-procs", "1"],
    "bench_intake": ["--complaints", "30", "--concurrency", "4", "--workers", "1", "--projects", "5"],
    "bench_paging": ["--declarations", "10", "--rate", "10"],
    "bench_metrics": ["--incidents", "30", "--complaints", "100", "--requests", "3"],
    "bench_public": ["--clients", "4", "--seconds", "3", "--workers", "1", "--processes", "1"],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_benchmark_runs_and_prints_its_figures(command, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(SQLITE_PATH=str(tmp_path / "bench.sqlite3"), CRISIS_VAR_DIR=str(tmp_path / "var"))
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    result = subprocess.run(
        [*manage, command, *COMMANDS[command]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures.get("lost", 0) == 0 and figures.get("errors", 0) == 0, figures
    if command == "bench_public":  # every client saw the statement published during the run
        assert figures["visible_after_s"] is not None, figures
