"""The incident timeline's "review" entries: the review's steps are part of the incident's record."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ActionState

REVIEW = "review"


class ReviewEntry(TypedDict):
    action: str  # signed_off, action_added, action_finished
    review: int
    action_item: NotRequired[int]
    title: NotRequired[str]
    owner: NotRequired[dict[str, Any] | None]
    due_at: NotRequired[str]
    state: NotRequired[str]


def describe(data: dict[str, Any], text: str) -> str:
    action = data.get("action")
    if action == "signed_off":
        return _("Signed off the review.")
    if action == "action_added":
        owner = (data.get("owner") or {}).get("name", "")
        return _("Action item for %(owner)s: %(title)s") % {"owner": owner, "title": data.get("title", "")}
    if action == "action_finished":
        state = dict(ActionState.choices).get(data.get("state", ""), data.get("state", ""))
        return _("Action item %(state)s: %(title)s") % {"state": state, "title": data.get("title", "")}
    return text


KINDS = [(REVIEW, gettext_lazy("Review"), describe, ReviewEntry)]
