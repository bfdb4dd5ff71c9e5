"""The difference between two texts, for reviewers: what a draft changes in the current voice.

Line by line, and character by character inside a changed line: Chinese has no spaces, so a
word-level diff would mark whole sentences. The result is data (segments of text with a kind);
templates render it with autoescaping like any other user text, so a diff never carries HTML.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

SAME, ADDED, REMOVED, CHANGED = "same", "added", "removed", "changed"
# Below this share of common characters two lines are different sentences, not an edited one: they
# are shown as a removed line and an added line, which reads better than scattered fragments.
EDITED_LINE_SIMILARITY = 0.5


@dataclass(frozen=True)
class Segment:
    kind: str  # same | added | removed
    text: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same | added | removed | changed
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments if s.kind != REMOVED)


def _inline(before: str, after: str) -> list[Segment]:
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(Segment(SAME, before[i1:i2]))
            continue
        if tag in ("replace", "delete"):
            segments.append(Segment(REMOVED, before[i1:i2]))
        if tag in ("replace", "insert"):
            segments.append(Segment(ADDED, after[j1:j2]))
    return segments


def diff_text(before: str, after: str) -> list[DiffLine]:
    """Every line of `after`, marked against `before`: unchanged, added, removed, or changed
    (with the characters that changed)."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine(SAME, [Segment(SAME, t)]) for t in old[i1:i2])
        elif tag == "delete":
            lines.extend(DiffLine(REMOVED, [Segment(REMOVED, t)]) for t in old[i1:i2])
        elif tag == "insert":
            lines.extend(DiffLine(ADDED, [Segment(ADDED, t)]) for t in new[j1:j2])
        else:  # replace: pair lines up and show what changed inside each edited pair
            pairs = min(i2 - i1, j2 - j1)
            for before_line, after_line in zip(old[i1 : i1 + pairs], new[j1 : j1 + pairs], strict=True):
                matcher = difflib.SequenceMatcher(a=before_line, b=after_line, autojunk=False)
                if matcher.ratio() >= EDITED_LINE_SIMILARITY:
                    lines.append(DiffLine(CHANGED, _inline(before_line, after_line)))
                else:
                    lines.append(DiffLine(REMOVED, [Segment(REMOVED, before_line)]))
                    lines.append(DiffLine(ADDED, [Segment(ADDED, after_line)]))
            lines.extend(DiffLine(REMOVED, [Segment(REMOVED, t)]) for t in old[i1 + pairs : i2])
            lines.extend(DiffLine(ADDED, [Segment(ADDED, t)]) for t in new[j1 + pairs : j2])
    return lines


def is_unchanged(lines: list[DiffLine]) -> bool:
    return all(line.kind == SAME for line in lines)


@dataclass(frozen=True)
class StatementDiff:
    """A statement's words against the current published statement for its audience."""

    against: object | None  # the current Statement, or None when the audience has none yet
    title: list[DiffLine]
    body: list[DiffLine]

    @property
    def unchanged(self) -> bool:
        return self.against is not None and is_unchanged(self.title) and is_unchanged(self.body)


def diff_against(title: str, body: str, current) -> StatementDiff:
    if current is None:
        return StatementDiff(None, diff_text("", title), diff_text("", body))
    return StatementDiff(current, diff_text(current.title, title), diff_text(current.body, body))
