"""Statement templates: `{{ name }}` placeholders and nothing else.

No attribute access, filters, tags or code: a template is text with holes whose names come from a
fixed list. Unknown or malformed placeholders are found when an admin saves or imports the
template (a ValidationError naming them), so drafting from a template never fails.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

PLACEHOLDERS: dict[str, str] = {
    "title": _("the incident's title"),
    "location": _("the location or project"),
    "kind": _("the kind of crisis"),
    "severity": _("the severity level"),
    "detected_at": _("when it was detected"),
    "declared_at": _("when it was declared"),
    "now": _("the time of drafting"),
    "next_update": _(
        "when the next update comes, counted from publishing (e.g. “2小时内” / “within 2 hours”; the "
        "playbook's interval for the incident's severity); publishing the statement makes it a deadline"
    ),
    "commander": _("the commander's name"),
    "spokesperson": _("the spokesperson's name (the commander's when none is named)"),
    "company": _("the company's name"),
    "hotline": _("the customer hotline"),
    "address": _("the company's address"),
}

# A gap to fill by hand: 【…】 (full-width brackets, as Chinese templates mark them) or [ … ] in
# English text. Templates keep what only a person can know — facts to confirm, names, numbers — as
# gaps; a text that still has one is not finished, and nothing unfinished is published.
_GAP = re.compile(r"【[^】]*】|【[^】]*$|\[[^\[\]\n]{1,300}\]")

# Anything between double braces, so that typos like {{ Title }} or {{ title.upper }} are caught.
_HOLE = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_NAME = re.compile(r"^\s*([a-z_]+)\s*$")


def problems(template: str) -> list[str]:
    """What is wrong with the placeholders of `template` (empty when it is fine)."""
    found = []
    for match in _HOLE.finditer(template or ""):
        inner = match.group(1)
        name = _NAME.match(inner)
        if not name or name.group(1) not in PLACEHOLDERS:
            found.append(match.group(0))
    stripped = _HOLE.sub("", template or "")
    if "{{" in stripped or "}}" in stripped:
        found.append("{{" if "{{" in stripped else "}}")
    return found


def gaps(text: str) -> list[str]:
    """The gaps still in `text`: 【…】 markers and any placeholder left unfilled, each once, in order."""
    found: list[str] = []
    for match in [*_GAP.finditer(text or ""), *_HOLE.finditer(text or "")]:
        if match.group(0) not in found:
            found.append(match.group(0))
    return found


def validate_template(template: str) -> None:
    bad = problems(template)
    if bad:
        raise ValidationError(
            _("Unknown or malformed placeholder(s): %(bad)s. Allowed: %(ok)s"),
            params={"bad": ", ".join(bad), "ok": ", ".join(f"{{{{ {n} }}}}" for n in PLACEHOLDERS)},
            code="placeholder",
        )


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill the placeholders. Unknown ones (only possible in text that skipped validation) stay as
    they were, visibly, rather than failing the drafter."""

    def fill(match: re.Match) -> str:
        name = _NAME.match(match.group(1))
        if name and name.group(1) in PLACEHOLDERS:
            return str(values.get(name.group(1), ""))
        return match.group(0)

    return _HOLE.sub(fill, template or "")


def sample_values(language: str) -> dict[str, str]:
    """Placeholder values of an invented incident, for previews in the admin."""
    if language.startswith("zh"):
        return {
            "title": "3号楼脚手架局部坍塌",
            "location": "阳光花园二期",
            "kind": "地盘安全",
            "severity": "Ⅱ级 · 重大",
            "detected_at": "2026-03-02 09:40",
            "declared_at": "2026-03-02 09:52",
            "now": "2026-03-02 10:05",
            "next_update": "2小时内",
            "commander": "张伟",
            "spokesperson": "王芳",
            "company": "示例置业有限公司",
            "hotline": "400-000-0000",
            "address": "示例市示例区示例路1号",
        }
    return {
        "title": "Partial scaffold collapse at Block 3",
        "location": "Sunrise Gardens phase II",
        "kind": "Site safety",
        "severity": "II · Major",
        "detected_at": "2026-03-02 09:40",
        "declared_at": "2026-03-02 09:52",
        "now": "2026-03-02 10:05",
        "next_update": "within 2 hours",
        "commander": "Zhang Wei",
        "spokesperson": "Wang Fang",
        "company": "Example Properties Ltd.",
        "hotline": "400-000-0000",
        "address": "1 Example Road, Example District",
    }
