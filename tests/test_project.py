"""House rules: migrations in step, dependencies one way, deploy settings safe, both languages whole."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_migrations_are_in_step_with_the_models():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}\n{exc}")


def imported_modules(app: str) -> set[str]:
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize(
    "app,forbidden",
    [("playbooks", {"incidents", "crisis"}), ("incidents", {"crisis"})],
)
def test_dependencies_point_one_way(app, forbidden):
    assert not imported_modules(app) & forbidden


def test_deploy_checks_are_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-real-secret-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "crisis.example.com",
        "CRISIS_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DJANGO_DEBUG": "0",
           "DJANGO_SECRET_KEY": "", "CRISIS_VAR_DIR": str(tmp_path)}  # fmt: skip
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_both_languages_are_complete(domain):
    import polib

    path = CATALOGUE / f"{domain}.po"
    catalog = polib.pofile(str(path))
    assert not catalog.untranslated_entries(), [e.msgid for e in catalog.untranslated_entries()][:10]
    assert not catalog.fuzzy_entries(), [e.msgid for e in catalog.fuzzy_entries()][:10]
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(path.with_suffix(".mo")))}
    source = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in catalog.translated_entries()}
    compiled.pop((None, ""), None)  # the header
    assert compiled == source, f"{domain}.mo is stale: run manage.py compilemessages"


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    """makemessages over a copy of the code must find nothing the committed catalogue lacks."""
    import shutil

    import polib

    for name in ("config", "playbooks", "incidents", "crisis", "locale", "manage.py"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    for domain in ("django", "djangojs"):
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "makemessages",
                "-l",
                "zh_Hans",
                "-d",
                domain,
                "--no-location",
                "--ignore",
                "var/*",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "CRISIS_VAR_DIR": str(tmp_path / "var"),
            },
        )
        assert result.returncode == 0, result.stderr
        fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"))
        missing = [e.msgid for e in fresh if not e.obsolete and not e.translated()]
        assert not missing, f"{domain}: strings in the code but not translated in the catalogue: {missing[:10]}"
