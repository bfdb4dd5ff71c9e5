"""The incident timeline's "statement" and "qa_line" entries: their data and how they read.
Every step of a review is a line on the timeline: the approvals log."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from playbooks.models import Audience

STATEMENT = "statement"
QA_LINE = "qa_line"


class StatementEntry(TypedDict):
    action: str  # drafted, edited, submitted, approved, second_review, rejected, published, superseded, withdrawn
    statement: int
    audience: str
    title: str
    state: str
    version: int
    template: NotRequired[int | None]  # drafted: the template it started from
    language: NotRequired[str]  # drafted
    returned_to_review: NotRequired[bool]  # edited
    awaiting_second_review: NotRequired[bool]  # approved
    awaiting_commander: NotRequired[bool]  # second_review
    supersedes: NotRequired[int | None]  # published: the statement it replaced
    superseded_by: NotRequired[int]  # superseded
    was: NotRequired[str]  # withdrawn: the state it was in
    recipients: NotRequired[int]  # sent_to_customers: how many messages were queued


class QALineEntry(TypedDict):
    action: str  # seeded, drafted, edited, revised, submitted, approved, rejected, superseded, withdrawn
    line: NotRequired[int]
    question: NotRequired[str]
    state: NotRequired[str]
    count: NotRequired[int]  # seeded: how many lines
    lines: NotRequired[list[int]]  # seeded: which
    revises: NotRequired[int]  # revised: the line in force it revises
    supersedes: NotRequired[int | None]  # approved
    superseded_by: NotRequired[int]  # superseded
    was: NotRequired[str]  # withdrawn


def _audience(code: str | None) -> str:
    try:
        return str(Audience(code).label)
    except ValueError:
        return code or "?"


def describe_statement(d: dict[str, Any], text: str) -> str:
    values = {"title": d.get("title", ""), "audience": _audience(d.get("audience")), "version": d.get("version")}
    action = d.get("action")
    if action == "edited" and d.get("returned_to_review"):
        return (
            _("Approved statement to %(audience)s edited, back in review (version %(version)s): “%(title)s”") % values
        )
    if action == "approved" and d.get("awaiting_second_review"):
        return _("Statement to %(audience)s approved by the commander, awaiting the second review: “%(title)s”") % (
            values
        )
    if action == "sent_to_customers":
        return _("Statement to customers sent by SMS to %(n)s customers: “%(title)s”") % {
            "n": d.get("recipients", 0), "title": d.get("title", ""),
        }  # fmt: skip
    if action == "second_review" and d.get("awaiting_commander"):
        return _("Statement to %(audience)s cleared by the second reviewer, awaiting the commander: “%(title)s”") % (
            values
        )
    sentences = {
        "drafted": _("Statement to %(audience)s drafted: “%(title)s”"),
        "edited": _("Statement to %(audience)s edited (version %(version)s): “%(title)s”"),
        "submitted": _("Statement to %(audience)s submitted for approval: “%(title)s”"),
        "approved": _("Statement to %(audience)s approved: “%(title)s”"),
        "second_review": _("Statement to %(audience)s cleared by the second reviewer and approved: “%(title)s”"),
        "rejected": _("Statement to %(audience)s rejected: “%(title)s”"),
        "published": _("Statement published to %(audience)s: “%(title)s”"),
        "superseded": _("Statement to %(audience)s superseded: “%(title)s”"),
        "withdrawn": _("Statement to %(audience)s withdrawn: “%(title)s”"),
    }
    return sentences.get(action, _("Statement: “%(title)s”")) % values


def describe_qa_line(d: dict[str, Any], text: str) -> str:
    action = d.get("action")
    if action == "seeded":
        return _("Q&A lines drafted from the playbook: %(n)s") % {"n": d.get("count", 0)}
    values = {"question": d.get("question", "")}
    sentences = {
        "drafted": _("Q&A line drafted: “%(question)s”"),
        "edited": _("Q&A line edited: “%(question)s”"),
        "revised": _("Revision of a Q&A line drafted: “%(question)s”"),
        "submitted": _("Q&A line submitted for approval: “%(question)s”"),
        "approved": _("Q&A line approved, now in force: “%(question)s”"),
        "rejected": _("Q&A line rejected: “%(question)s”"),
        "superseded": _("Q&A line superseded by a revision: “%(question)s”"),
        "withdrawn": _("Q&A line withdrawn: “%(question)s”"),
    }
    return sentences.get(action, _("Q&A line: “%(question)s”")) % values


KINDS = (
    (STATEMENT, gettext_lazy("Statement"), describe_statement, StatementEntry),
    (QA_LINE, gettext_lazy("Q&A line"), describe_qa_line, QALineEntry),
)
