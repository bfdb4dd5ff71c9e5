"""House rules: migrations in step, dependencies one way, deploy settings safe, both languages whole."""

from __future__ import annotations

import ast
import os
import re
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


# The layers of README "Architecture", bottom first. An app may import its own modules and any
# app of a lower layer; apps on the same layer (the clock and notify) do not import each other.
LAYERS = [
    ("playbooks",),
    ("incidents.clock", "incidents.notify"),
    ("incidents.oncall", "incidents.contacts"),
    ("incidents",),
    ("incidents.complaints",),
    ("crisis.voice",),
    ("crisis.authority", "crisis.media", "crisis.reviews"),
    ("crisis",),
]
# config's shared pieces sit under every app; its wiring (urls, asgi, celery, launcher) above all.
CONFIG_SHARED = {
    "config.errors", "config.admin_base", "config.parsers", "config.serializers", "config.processes",
    "config.redis_runtime", "config.system_packages", "config.celery", "config.commands", "config.text",
    "config.dates", "config.forms", "config.model_fields", "config.pagination", "config.schema", "config.query",
    "config.trigram", "config.numbers", "config.documents",
}  # fmt: skip


def app_of(module: str) -> str | None:
    """The app (as named in LAYERS) a dotted module belongs to; None for outside code."""
    apps = sorted((app for layer in LAYERS for app in layer), key=len, reverse=True)
    return next((app for app in apps if module == app or module.startswith(app + ".")), None)


def layer_of(app: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) for a in layer if a == app)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """Every import in a file, top-level and nested: (line, absolute module, nested?, in ready()?)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    ready_lines = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "ready"
        for line in range(node.lineno, node.end_lineno + 1)
    }
    in_function = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # "from . import x" names modules: check each as base.x
            names = [f"{base}.{alias.name}" for alias in node.names] if not node.module else [base]
        else:
            continue
        for name in names:
            yield node.lineno, name, id(node) in in_function, node.lineno in ready_lines


def app_files():
    for top in ("playbooks", "incidents", "crisis"):
        yield from (p for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def test_layers_point_down_only_and_nothing_dodges_a_cycle_with_a_nested_import():
    """README "Architecture": a lower app never imports a higher one, not even inside a function,
    and project modules are imported at the top of a file (AppConfig.ready aside, where Django
    wants models imported late)."""
    wrong = []
    for path in app_files():
        here = app_of(module_name(path))
        for line, name, nested, in_ready in imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if name.startswith("config."):
                if name.split(".")[:2] and ".".join(name.split(".")[:2]) not in CONFIG_SHARED:
                    wrong.append(f"{where} (config's wiring sits above every app)")
                continue
            there = app_of(name)
            if there is None:
                continue
            if nested and not in_ready:
                wrong.append(f"{where} inside a function")
            if there != here and layer_of(there) >= layer_of(here):
                wrong.append(f"{where} (layer {layer_of(there)} from layer {layer_of(here)})")
    assert not wrong, "\n".join(wrong)


def test_config_shared_pieces_import_no_app():
    for name in CONFIG_SHARED:
        path = ROOT / (name.replace(".", "/") + ".py")
        found = [n for _, n, _, _ in imports(path) if app_of(n) is not None]
        assert not found or name == "config.celery", (name, found)


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


@pytest.mark.django_db
def test_a_database_from_before_the_recut_is_refused_with_a_way_out():
    from django.core.management.base import CommandError
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    call_command("check_lineage")  # this database is in step: nothing to say
    MigrationRecorder(connection).record_applied("incidents", "0003_complaints")
    with pytest.raises(CommandError, match=r"incidents\.0003_complaints.*mv var var\.old"):
        call_command("check_lineage")


@pytest.mark.django_db
def test_migrate_gives_every_group_every_permission_it_names():
    from django.contrib.auth.models import Group

    from crisis import roles

    for name, permissions in roles.GROUP_PERMISSIONS.items():
        assert Group.objects.get(name=name).permissions.count() == len(set(permissions)), name


def kinds_table() -> str:
    from incidents import timeline

    rows = ["| kind | data (`?`: not always there) |", "| --- | --- |"]
    for spec in timeline.kinds():
        named, required = timeline.payload_keys(spec.schema)
        keys = sorted(named, key=lambda k: (k not in required, named.index(k)))
        rows.append(f"| `{spec.code}` | " + ", ".join(f"`{k}`" + ("" if k in required else "?") for k in keys) + " |")
    return "\n".join(rows)


def test_the_readme_lists_every_timeline_kind_with_its_data():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert kinds_table() in readme, "README: regenerate the timeline table\n" + kinds_table()


def test_every_image_the_readme_shows_is_in_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme) + re.findall(r'<img[^>]+src="([^"]+)"', readme)
    assert images, "the README shows screenshots"
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split())
    for path in images:
        assert (ROOT / path).is_file(), path
        assert path in tracked, f"{path} exists but is not committed"
