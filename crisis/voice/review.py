"""The one review lifecycle that statements and Q&A lines share: lock, check, step, record.

A `Kind` says what differs — the model, its timeline kind, its data, who may take each step —
and the steps here are the same for both: submit for review, reject with a comment, withdraw.
Everything runs under the incident's row lock (every writer to an incident serialises there),
re-reads the text under it, checks the state, moves it and writes the step to the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from config.errors import RuleBroken
from config.text import clean_text
from incidents import permissions
from incidents.models import Incident
from incidents.services import require_open
from incidents.timeline import lock_incident, record
from playbooks import templating

from . import alerts
from .models import ReviewedText

MAX_COMMENT = 5_000
SUBMITTABLE = ("draft", "rejected")
IN_REVIEW = "in_review"


@dataclass(frozen=True)
class Kind:
    model: type[ReviewedText]
    entry: str  # the incident timeline's kind
    data: Callable[..., dict[str, Any]]  # data(obj, action, **extra)
    require: Callable[..., None]  # require(action, user, incident, obj) raises NotAllowed / RuleBroken
    withdrawable: tuple[str, ...]  # states from which it may be withdrawn
    noun: str  # "statement" or "line": which sentence _wrong_state uses
    # Taking over: the current text `new` replaces (its audience's published statement, its topic's
    # line in force), and the step that makes `new` current, with its timeline action.
    current: Callable[[Any], Any]
    become_current: Callable[[Any, Any], None]
    current_action: str
    race: str | Promise
    words: Callable[[Any], tuple[str, ...]]  # the text that goes out: title and body, question and answer


def clean(value: Any, field: str, *, required: bool, max_length: int) -> str:
    # Text is stored as the user wrote it (minus surrounding blanks); it is always shown escaped,
    # never as HTML.
    return clean_text(value, field, required=required, max_length=max_length)


def check_version(obj: ReviewedText, version: int | None) -> None:
    if version is not None and version != obj.version:
        raise RuleBroken(
            _("This text changed since you opened it (now version %(now)s, you read version %(read)s). Read it again.")
            % {"now": obj.version, "read": version},
            version=obj.version,
            state=obj.state,
        )


def cannot_be(verb: str) -> str:
    """The verbs of "it cannot be … now", each translated in its own context."""
    verbs = {
        "edited": pgettext("cannot be …", "edited"),
        "submitted": pgettext("cannot be …", "submitted"),
        "approved": pgettext("cannot be …", "approved"),
        "reviewed": pgettext("cannot be …", "reviewed"),
        "rejected": pgettext("cannot be …", "rejected"),
        "withdrawn": pgettext("cannot be …", "withdrawn"),
        "revised": pgettext("cannot be …", "revised"),
    }
    return verbs[verb]


def wrong_state(kind: Kind, obj: ReviewedText, verb: str) -> RuleBroken:
    if kind.noun == "statement":
        message = _("This statement is %(state)s; it cannot be %(doing)s now.")
    else:
        message = _("This Q&A line is %(state)s; it cannot be %(doing)s now.")
    return RuleBroken(message % {"state": obj.get_state_display(), "doing": cannot_be(verb)}, state=obj.state)


def visible(model: type[ReviewedText], obj_id: int, user) -> Any:
    """The text, if `user` may see its incident; otherwise it does not exist (404)."""
    obj = model.objects.select_related("incident").get(pk=obj_id)
    if not permissions.may_view(user, obj.incident):
        raise model.DoesNotExist
    return obj


def require_finished(kind: Kind, obj: Any) -> None:
    """Nothing unfinished goes out: a text that still has a 【…】 gap or an unfilled placeholder is
    refused at submission, at each approval and at publication (409), naming every gap."""
    found = [gap for text in kind.words(obj) for gap in templating.gaps(text)]
    found = list(dict.fromkeys(found))
    if found:
        raise RuleBroken(
            _("The text still has gaps to fill before it can go further: %(gaps)s") % {"gaps": "、".join(found)},
            gaps=found,
        )


def locked(kind: Kind, obj_id: int, user) -> tuple[Incident, Any]:
    """Lock the text's incident and re-read the text under that lock, so the checks that follow
    see the truth. Someone who may not see the incident is told it does not exist."""
    incident_id = kind.model.objects.values_list("incident_id", flat=True).get(pk=obj_id)
    incident = lock_incident(incident_id)
    if not permissions.may_view(user, incident):
        raise kind.model.DoesNotExist
    return incident, kind.model.objects.select_for_update(of=("self",)).get(pk=obj_id)


def write(kind: Kind, incident: Incident, obj: ReviewedText, action: str, *, by, text: str = "", **extra) -> None:
    """Record a step on the timeline and tell whoever the step concerns (after commit)."""
    record(incident, kind.entry, actor=by, text=text, data=kind.data(obj, action, **extra))
    alerts.review_step(incident, obj, action, by=by, text=text)


def take_over(kind: Kind, incident: Incident, new: Any, *, by) -> Any:
    """`new` becomes the current text (published, or in force) and the one it replaces — the
    row `kind.current` finds — is superseded, in one savepoint; both steps go on the timeline. The
    database admits one current row: should a writer that skipped the incident lock get there
    first, the savepoint rolls back and the caller gets a 409 (`kind.race`) with the transaction
    still usable."""
    require_finished(kind, new)
    previous = kind.current(new).select_for_update(of=("self",)).first()
    try:
        with transaction.atomic():
            if previous is not None:
                # The old one steps down first: the database admits one current row.
                previous.supersede(new)
                previous.save()
            kind.become_current(new, by)
            new.save()
    except IntegrityError as exc:
        raise RuleBroken(str(kind.race)) from exc
    if previous is not None:
        write(kind, incident, previous, "superseded", by=by, superseded_by=new.pk)
    write(kind, incident, new, kind.current_action, by=by, supersedes=previous.pk if previous is not None else None)
    return previous


def submit(kind: Kind, obj_id: int, *, by) -> Any:
    with transaction.atomic():
        incident, obj = locked(kind, obj_id, by)
        kind.require("submit", by, incident, obj)
        require_open(incident)
        if obj.state not in SUBMITTABLE:
            raise wrong_state(kind, obj, "submitted")
        require_finished(kind, obj)
        obj.submit(by)
        obj.save()
        write(kind, incident, obj, "submitted", by=by)
    return obj


def reject(kind: Kind, obj_id: int, *, by, comment: str) -> Any:
    """Back to the drafter, with a comment saying what to change."""
    comment = clean(comment, "comment", required=True, max_length=MAX_COMMENT)
    with transaction.atomic():
        incident, obj = locked(kind, obj_id, by)
        kind.require("reject", by, incident, obj)
        require_open(incident)
        if obj.state != IN_REVIEW:
            raise wrong_state(kind, obj, "rejected")
        obj.reject(by, comment)
        obj.save()
        write(kind, incident, obj, "rejected", by=by, text=comment)
    return obj


def withdraw(kind: Kind, obj_id: int, *, by, reason: str) -> Any:
    """Take it back: a draft is abandoned; the current one stops being current (nothing replaces
    it until another is approved or published)."""
    reason = clean(reason, "reason", required=True, max_length=MAX_COMMENT)
    with transaction.atomic():
        incident, obj = locked(kind, obj_id, by)
        kind.require("withdraw", by, incident, obj)
        if obj.state not in kind.withdrawable:
            raise wrong_state(kind, obj, "withdrawn")
        was = obj.state
        obj.withdraw(by, reason)
        obj.save()
        write(kind, incident, obj, "withdrawn", by=by, text=reason, was=was)
    return obj
