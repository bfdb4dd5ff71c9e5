"""Export and import of a playbook version as YAML or JSON (format: playbooks/FORMAT.md).

Import reads the file into YAML nodes first (JSON is read the same way), so that every problem
is reported with the line it is on, and it writes nothing unless the whole file is good.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import services, templating
from .models import (
    Audience,
    AutoComplete,
    ClockStart,
    CrisisKind,
    DeadlineNature,
    DeadlineRule,
    EscalationTarget,
    Phase,
    Playbook,
    PlaybookVersion,
    QALine,
    Role,
    StatementPurpose,
    StatementTemplate,
    Step,
    Unit,
    slug_validator,
)

FORMAT = "crisis-playbook/1"


# --- Export ----------------------------------------------------------------------------------------


def _bi(obj, field: str) -> dict[str, str]:
    return {"zh": getattr(obj, f"{field}_zh"), "en": getattr(obj, f"{field}_en")}


def version_to_dict(version: PlaybookVersion) -> dict[str, Any]:
    playbook = version.playbook
    return {
        "format": FORMAT,
        "playbook": {
            "slug": playbook.slug,
            "kind": playbook.kind,
            "name": _bi(playbook, "name"),
            "description": _bi(playbook, "description"),
        },
        "version": {
            "notes": _bi(version, "notes"),
            **({"update_every": version.update_every_minutes} if version.update_every_minutes else {}),
        },
        "steps": [
            {
                "phase": s.phase,
                "title": _bi(s, "title"),
                "instructions": _bi(s, "instructions"),
                "owner_role": s.owner_role,
                "due_offset_minutes": s.due_offset_minutes,
                "required": s.required,
                **({"completes_when": s.completes_when} if s.completes_when else {}),
            }
            for s in version.steps.all()
        ],
        "deadline_rules": [
            {
                "code": r.code,
                "audience": r.audience,
                "title": _bi(r, "title"),
                "due_in": r.due_in,
                "unit": r.unit,
                "clock_starts_at": r.clock_starts_at,
                "remind_before_minutes": r.reminder_leads,
                "escalate_to": r.escalation_targets,
                "source": r.source,
                "nature": r.nature,
                "met_by_statement": r.met_by_statement,
            }
            for r in version.deadline_rules.all()
        ],
        "statement_templates": [
            {
                "audience": t.audience,
                "purpose": t.purpose,
                "title": _bi(t, "title"),
                "body": _bi(t, "body"),
                "second_review": t.second_review,
                **({"use_when": _bi(t, "use_when")} if t.use_when_zh or t.use_when_en else {}),
            }
            for t in version.statement_templates.all()
        ],
        "qa_lines": [{"question": _bi(q, "question"), "answer": _bi(q, "answer")} for q in version.qa_lines.all()],
    }


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def export_version(version: PlaybookVersion, fmt: str = "yaml") -> str:
    data = version_to_dict(version)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


# --- Import ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based
    where: str
    message: str

    def __str__(self) -> str:
        # The place is the file's own key path (steps[1].owner_role): the format's keys are English
        # in both languages, so it stays as written; the rest is in the reader's language.
        if self.where:
            return _("line %(line)s: %(where)s: %(message)s") % {
                "line": self.line,
                "where": self.where,
                "message": self.message,
            }
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class PlaybookFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class _Reader:
    """Walks the YAML node tree, converting values and collecting problems with line numbers."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, node, where: str, message: str) -> None:
        self.problems.append(Problem(node.start_mark.line + 1, where, message))

    def mapping(self, node, where: str, required: set[str], optional: set[str]) -> dict[str, Any] | None:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, where, _("expected a mapping (key: value)"))
            return None
        out = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in required | optional:
                self.fail(key_node, where, _("unknown key “%(k)s”") % {"k": key})
            elif key in out:
                self.fail(key_node, where, _("“%(k)s” appears twice") % {"k": key})
            else:
                out[key] = value_node
        for key in sorted(required - set(out)):
            self.fail(node, where, _("“%(k)s” is missing") % {"k": key})
        return out

    def sequence(self, node, where: str) -> list:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, where, _("expected a list"))
            return []
        return node.value

    def scalar(self, node, where: str):
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, where, _("expected a single value"))
            return None
        return _construct(node)

    def text(self, node, where: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = self.scalar(node, where)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                self.fail(node, where, _("expected text"))
                return ""
        if required and not value.strip():
            self.fail(node, where, _("must not be empty"))
        if max_length and len(value) > max_length:
            self.fail(node, where, _("at most %(n)d characters") % {"n": max_length})
        return value

    def bilingual(self, node, where: str, *, required: bool = True, max_length: int | None = None) -> tuple[str, str]:
        fields = self.mapping(node, where, {"zh", "en"}, set())
        if fields is None:
            return "", ""
        zh = self.text(fields["zh"], f"{where}.zh", required=required, max_length=max_length) if "zh" in fields else ""
        en = self.text(fields["en"], f"{where}.en", required=required, max_length=max_length) if "en" in fields else ""
        return zh, en

    def choice(self, node, where: str, choices) -> str:
        value = self.scalar(node, where)
        if value not in choices.values:
            self.fail(
                node,
                where,
                _("“%(v)s” is not one of: %(ok)s") % {"v": value, "ok": ", ".join(choices.values)},
            )
            return ""
        return value

    def integer(self, node, where: str, *, minimum: int, allow_null: bool = False) -> int | None:
        value = self.scalar(node, where)
        if value is None and allow_null:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(node, where, _("expected a whole number"))
            return None
        if value < minimum:
            self.fail(node, where, _("must be at least %(n)d") % {"n": minimum})
        return value

    def boolean(self, node, where: str) -> bool:
        value = self.scalar(node, where)
        if not isinstance(value, bool):
            self.fail(node, where, _("expected true or false"))
            return False
        return value

    def template(self, node, where: str, value: str) -> None:
        bad = templating.problems(value)
        if bad:
            self.fail(
                node,
                where,
                _("unknown or malformed placeholder(s): %(bad)s") % {"bad": ", ".join(bad)},
            )


def _construct(node):
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


@dataclass
class _Parsed:
    playbook: dict[str, Any]
    notes: tuple[str, str]
    update_every: dict[str, int]
    steps: list[tuple[int, dict[str, Any]]]
    rules: list[tuple[int, dict[str, Any]]]
    templates: list[tuple[int, dict[str, Any]]]
    qa: list[tuple[int, dict[str, Any]]]


def parse(text: str) -> _Parsed:
    """Read and check a playbook file; raise PlaybookFileError listing every problem by line."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # PyYAML's own wording is English only; it follows a translated lead so nobody is left guessing.
        message = _("this is not valid YAML (%(detail)s)") % {"detail": exc.problem or exc}
        raise PlaybookFileError([Problem((mark.line + 1) if mark else 1, "", message)]) from None
    except yaml.YAMLError as exc:
        raise PlaybookFileError([Problem(1, "", _("this is not valid YAML (%(detail)s)") % {"detail": exc})]) from None
    if root is None:
        raise PlaybookFileError([Problem(1, "", _("the file is empty"))])

    r = _Reader()
    top = r.mapping(
        root,
        "",
        {"format", "playbook", "steps"},
        {"version", "deadline_rules", "statement_templates", "qa_lines"},
    )
    if top is None:
        raise PlaybookFileError(r.problems)
    if "format" in top and r.scalar(top["format"], "format") != FORMAT:
        r.fail(top["format"], "format", _("must be %(f)s") % {"f": FORMAT})

    playbook: dict[str, Any] = {}
    if "playbook" in top:
        pb = r.mapping(top["playbook"], "playbook", {"slug", "kind", "name"}, {"description"}) or {}
        if "slug" in pb:
            slug = r.text(pb["slug"], "playbook.slug", max_length=80)
            try:
                slug_validator(slug)
            except ValidationError as exc:
                r.fail(pb["slug"], "playbook.slug", exc.messages[0])
            playbook["slug"] = slug
        if "kind" in pb:
            playbook["kind"] = r.choice(pb["kind"], "playbook.kind", CrisisKind)
        if "name" in pb:
            playbook["name_zh"], playbook["name_en"] = r.bilingual(pb["name"], "playbook.name", max_length=200)
        if "description" in pb:
            playbook["description_zh"], playbook["description_en"] = r.bilingual(
                pb["description"], "playbook.description", required=False
            )

    notes = ("", "")
    update_every: dict[str, int] = {}
    if "version" in top:
        v = r.mapping(top["version"], "version", set(), {"notes", "update_every"}) or {}
        if "notes" in v:
            notes = r.bilingual(v["notes"], "version.notes", required=False)
        if "update_every" in v:
            raw = r.mapping(v["update_every"], "version.update_every", set(), {"1", "2", "3", "4"}) or {}
            update_every = {
                str(level): r.integer(minutes, f"version.update_every.{level}", minimum=5)
                for level, minutes in raw.items()
            }

    steps = []
    for i, node in enumerate(r.sequence(top.get("steps"), "steps"), start=1):
        where = f"steps[{i}]"
        f = r.mapping(
            node,
            where,
            {"phase", "title", "owner_role"},
            {"instructions", "due_offset_minutes", "required", "completes_when"},
        )
        if f is None:
            continue
        item: dict[str, Any] = {"phase": r.choice(f["phase"], f"{where}.phase", Phase)} if "phase" in f else {}
        if "title" in f:
            item["title_zh"], item["title_en"] = r.bilingual(f["title"], f"{where}.title", max_length=200)
        if "instructions" in f:
            item["instructions_zh"], item["instructions_en"] = r.bilingual(
                f["instructions"], f"{where}.instructions", required=False
            )
        if "owner_role" in f:
            item["owner_role"] = r.choice(f["owner_role"], f"{where}.owner_role", Role)
        if "due_offset_minutes" in f:
            item["due_offset_minutes"] = r.integer(
                f["due_offset_minutes"], f"{where}.due_offset_minutes", minimum=1, allow_null=True
            )
        if "required" in f:
            item["required"] = r.boolean(f["required"], f"{where}.required")
        if "completes_when" in f:
            item["completes_when"] = r.choice(f["completes_when"], f"{where}.completes_when", AutoComplete)
        steps.append((node.start_mark.line + 1, item))
    if (steps and not any(item.get("phase") == Phase.FIRST_HOUR for _, item in steps)) or (
        not steps and "steps" in top
    ):
        r.fail(top["steps"], "steps", _("at least one step must be in the first hour (phase first_hour)"))

    rules = []
    codes: set[str] = set()
    for i, node in enumerate(r.sequence(top.get("deadline_rules"), "deadline_rules"), start=1):
        where = f"deadline_rules[{i}]"
        f = r.mapping(
            node,
            where,
            {"code", "audience", "title", "due_in", "unit"},
            {"clock_starts_at", "remind_before_minutes", "escalate_to", "source", "nature", "met_by_statement"},
        )
        if f is None:
            continue
        item = {}
        if "code" in f:
            code = r.text(f["code"], f"{where}.code", max_length=60)
            try:
                slug_validator(code)
            except ValidationError as exc:
                r.fail(f["code"], f"{where}.code", exc.messages[0])
            if code in codes:
                r.fail(f["code"], f"{where}.code", _("the code “%(c)s” is used twice") % {"c": code})
            codes.add(code)
            item["code"] = code
        if "audience" in f:
            item["audience"] = r.choice(f["audience"], f"{where}.audience", Audience)
        if "title" in f:
            item["title_zh"], item["title_en"] = r.bilingual(f["title"], f"{where}.title", max_length=200)
        if "due_in" in f:
            item["due_in"] = r.integer(f["due_in"], f"{where}.due_in", minimum=1)
        if "unit" in f:
            item["unit"] = r.choice(f["unit"], f"{where}.unit", Unit)
        if "clock_starts_at" in f:
            item["clock_starts_at"] = r.choice(f["clock_starts_at"], f"{where}.clock_starts_at", ClockStart)
        if "remind_before_minutes" in f:
            leads = [
                r.integer(n, f"{where}.remind_before_minutes", minimum=1)
                for n in r.sequence(f["remind_before_minutes"], f"{where}.remind_before_minutes")
            ]
            item["remind_before_minutes"] = ", ".join(str(n) for n in leads if n is not None)
        if "escalate_to" in f:
            targets = [
                r.choice(n, f"{where}.escalate_to", EscalationTarget)
                for n in r.sequence(f["escalate_to"], f"{where}.escalate_to")
            ]
            item["escalate_to"] = ",".join(t for t in targets if t)
        if "source" in f:
            item["source"] = r.text(f["source"], f"{where}.source", required=False)
        if "nature" in f:
            item["nature"] = r.choice(f["nature"], f"{where}.nature", DeadlineNature)
        if "met_by_statement" in f:
            item["met_by_statement"] = r.boolean(f["met_by_statement"], f"{where}.met_by_statement")
        rules.append((node.start_mark.line + 1, item))

    templates = []
    for i, node in enumerate(r.sequence(top.get("statement_templates"), "statement_templates"), start=1):
        where = f"statement_templates[{i}]"
        f = r.mapping(node, where, {"audience", "title", "body"}, {"purpose", "second_review", "use_when"})
        if f is None:
            continue
        item = {}
        if "audience" in f:
            item["audience"] = r.choice(f["audience"], f"{where}.audience", Audience)
        if "purpose" in f:
            item["purpose"] = r.choice(f["purpose"], f"{where}.purpose", StatementPurpose)
        for field in ("title", "body"):
            if field in f:
                zh, en = r.bilingual(f[field], f"{where}.{field}", max_length=200 if field == "title" else None)
                r.template(f[field], f"{where}.{field}", zh + en)
                item[f"{field}_zh"], item[f"{field}_en"] = zh, en
        if "second_review" in f:
            item["second_review"] = r.boolean(f["second_review"], f"{where}.second_review")
        if "use_when" in f:
            item["use_when_zh"], item["use_when_en"] = r.bilingual(f["use_when"], f"{where}.use_when", max_length=200)
        templates.append((node.start_mark.line + 1, item))

    qa = []
    for i, node in enumerate(r.sequence(top.get("qa_lines"), "qa_lines"), start=1):
        where = f"qa_lines[{i}]"
        f = r.mapping(node, where, {"question", "answer"}, set())
        if f is None:
            continue
        item = {}
        for field in ("question", "answer"):
            if field in f:
                item[f"{field}_zh"], item[f"{field}_en"] = r.bilingual(f[field], f"{where}.{field}")
        qa.append((node.start_mark.line + 1, item))

    if r.problems:
        raise PlaybookFileError(sorted(r.problems, key=lambda p: p.line))
    return _Parsed(playbook, notes, update_every, steps, rules, templates, qa)


def import_text(text: str, *, by=None, publish: bool = False) -> PlaybookVersion:
    """Import a file as a new draft version (published at once with `publish`). All or nothing."""
    parsed = parse(text)
    problems: list[Problem] = []
    with transaction.atomic():
        fields = parsed.playbook
        playbook = Playbook.objects.select_for_update().filter(slug=fields["slug"]).first()
        if playbook is None:
            playbook = Playbook.objects.create(**fields)
        elif playbook.kind != fields["kind"]:
            raise PlaybookFileError(
                [
                    Problem(
                        1,
                        "playbook.kind",
                        _("the playbook “%(s)s” exists with another kind") % {"s": playbook.slug},
                    )
                ]
            )
        else:
            for name, value in fields.items():
                setattr(playbook, name, value)
            playbook.save()
        version = services.new_draft(playbook, by=by)
        version.notes_zh, version.notes_en = parsed.notes
        version.update_every_minutes = parsed.update_every
        version.save()
        for model, items in ((Step, parsed.steps), (DeadlineRule, parsed.rules),
                             (StatementTemplate, parsed.templates), (QALine, parsed.qa)):  # fmt: skip
            for order, (line, values) in enumerate(items, start=1):
                part = model(version=version, order=order, **values)
                try:
                    part.full_clean(exclude=["version"])
                except ValidationError as exc:
                    for field, messages in exc.message_dict.items():
                        problems.extend(Problem(line, f"{model._meta.model_name}.{field}", m) for m in messages)
                    continue
                part.save()
        if problems:
            raise PlaybookFileError(problems)  # inside the transaction: nothing stays written
        if publish:
            version = services.publish(version, by=by)
    return version
