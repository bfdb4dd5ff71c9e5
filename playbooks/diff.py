"""A readable difference between two playbook versions: their exported files, line by line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .exchange import export_version
from .models import PlaybookVersion


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed", "skip"
    text: str


def diff_versions(old: PlaybookVersion, new: PlaybookVersion, context: int = 3) -> list[DiffLine]:
    before = export_version(old).splitlines()
    after = export_version(new).splitlines()
    lines: list[DiffLine] = []
    for group in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_grouped_opcodes(context):
        if lines:
            lines.append(DiffLine("skip", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine("same", t) for t in before[i1:i2])
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("removed", t) for t in before[i1:i2])
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("added", t) for t in after[j1:j2])
    return lines
