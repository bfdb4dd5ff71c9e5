"""The review's commands. Each: find the incident (404 to whoever may not see it), lock it, check
who may (403) and what the rules allow (409), write, and put what matters on the incident's
timeline. A review exists for every closed incident: it opens when the incident closes, and the
first read of a closed incident that has none opens it then (the record is the truth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import RuleBroken
from config.text import clean_text
from incidents import permissions
from incidents.models import Incident, Status
from incidents.services import get_visible_incident
from incidents.timeline import lock_incident, person, record
from playbooks import services as playbooks
from playbooks.models import DEFAULT_EVALUATION, DrillScript

from . import alarms, policy
from .entries import REVIEW
from .models import ActionState, Feedback, Review, ReviewAction, ReviewState

TEXT_FIELDS = ("planned", "happened", "why", "keep", "change")
TEXT_LIMIT = 10_000


def _closed(incident: Incident) -> None:
    if incident.status != Status.CLOSED:
        raise RuleBroken(
            _("The review opens when the incident is closed; it is %(status)s.")
            % {"status": incident.get_status_display()},
            status=incident.status,
        )


def evaluation_sheet(incident: Incident) -> list[dict[str, Any]]:
    """A drill's evaluation sheet, unanswered: its script's questions, or the default sheet."""
    if not incident.exercise:
        return []
    script = incident.drill_script
    questions = script.questions() if script is not None else DrillScript(evaluation=DEFAULT_EVALUATION).questions()
    return [{"question": q, "met": None, "note": ""} for q in questions]


def _open_review(incident: Incident) -> Review:
    review = Review.objects.filter(incident=incident).first()
    if review is None:
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    incident=incident,
                    opened_at=incident.closed_at or timezone.now(),
                    evaluation=evaluation_sheet(incident),
                )
        except IntegrityError:  # opened by someone else a moment ago
            review = Review.objects.get(incident=incident)
    return review


def review_of(incident_id: int, user) -> Review:
    """The review of a closed incident the user may see (opened now if it is not yet)."""
    incident = get_visible_incident(incident_id, user)
    _closed(incident)
    return _open_review(incident)


def _locked(incident_id: int, by) -> tuple[Incident, Review]:
    incident = lock_incident(incident_id)
    if not permissions.may_view(by, incident):
        raise Incident.DoesNotExist
    _closed(incident)
    return incident, Review.objects.select_for_update().get(pk=_open_review(incident).pk)


def _still_open(review: Review) -> None:
    if review.state != ReviewState.OPEN:
        raise RuleBroken(_("The review is signed off; it can no longer be changed."), state=review.state)


def edit_review(incident_id: int, *, by, **fields: Any) -> Review:
    """Write any of the review's texts and its rating; what is not given stays as it was."""
    with transaction.atomic():
        incident, review = _locked(incident_id, by)
        policy.WRITE_REVIEW.check(by, incident)
        _still_open(review)
        for name in TEXT_FIELDS:
            if name in fields:
                setattr(review, name, clean_text(fields[name], name, required=False, max_length=TEXT_LIMIT))
        if "rating" in fields:
            review.rating = fields["rating"]
        if "evaluation" in fields:
            review.evaluation = _answered(review, fields["evaluation"])
        review.save()
    return review


def _answered(review: Review, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evaluation sheet with `answers` (one per question, in order: {"met", "note"})."""
    if not review.evaluation:
        raise ValidationError({"evaluation": _("Only the review of a drill has an evaluation sheet.")})
    if len(answers) != len(review.evaluation):
        raise ValidationError(
            {"evaluation": _("Answer each of the %(count)s questions, in order.") % {"count": len(review.evaluation)}}
        )
    return [
        {
            "question": row["question"],
            "met": answer.get("met"),
            "note": clean_text(answer.get("note", ""), "note", required=False, max_length=2000),
        }
        for row, answer in zip(review.evaluation, answers, strict=True)
    ]


def sign_off(incident_id: int, *, by) -> Review:
    with transaction.atomic():
        incident, review = _locked(incident_id, by)
        policy.SIGN_OFF.check(by, incident)
        _still_open(review)
        missing = [name for name in ("happened", "change") if not getattr(review, name).strip()]
        if missing:
            raise RuleBroken(_("Write what happened and what to change before signing off."), missing=missing)
        review.state = ReviewState.SIGNED_OFF
        review.signed_off_by, review.signed_off_at = by, timezone.now()
        review.save()
        record(incident, REVIEW, actor=by, data={"action": "signed_off", "review": review.pk})
    return review


def give_feedback(incident_id: int, *, by, rating: int | None, text: str) -> Feedback:
    """A participant's word on the response; giving it again replaces it (until sign-off)."""
    text = clean_text(text, "text", required=rating is None, max_length=2000)
    with transaction.atomic():
        incident, review = _locked(incident_id, by)
        policy.GIVE_FEEDBACK.check(by, incident)
        _still_open(review)
        feedback, _created = Feedback.objects.update_or_create(
            review=review, author=by, defaults={"rating": rating, "text": text, "at": timezone.now()}
        )
    return feedback


def add_action(
    incident_id: int, *, by, title: str, owner_id: int, due_at: datetime, change_playbook: bool = False
) -> ReviewAction:
    """An action item. "Change the playbook" opens a draft of the incident's playbook, linked back
    to this review, for a playbook editor to work on."""
    title = clean_text(title, "title", required=True, max_length=200)
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"owner": _("The owner must be an active user.")})
    if change_playbook:
        policy.CHANGE_PLAYBOOK.check(by)
    with transaction.atomic():
        incident, review = _locked(incident_id, by)
        policy.ADD_ACTION.check(by, incident)
        draft = None
        if change_playbook:
            if incident.playbook_version_id is None:
                raise RuleBroken(_("This incident ran on no playbook."))
            current = incident.playbook_version.playbook.published_version or incident.playbook_version
            draft = playbooks.clone_to_draft(current, by=by)
            link = _("Opened by the review of incident #%(id)s: %(title)s") % {"id": incident.pk, "title": title}
            draft.notes_zh = draft.notes_en = link
            draft.save()
        action = ReviewAction.objects.create(
            review=review, title=title, owner=owner, due_at=due_at, playbook_draft=draft, created_by=by
        )
        alarms.plan(action)
        record(
            incident,
            REVIEW,
            actor=by,
            data={
                "action": "action_added",
                "review": review.pk,
                "action_item": action.pk,
                "title": title,
                "owner": person(owner),
                "due_at": due_at.isoformat(),
            },
        )
    return action


def finish_action(action_id: int, *, by, state: str, note: str = "") -> ReviewAction:
    if state not in (ActionState.DONE, ActionState.DROPPED):
        raise RuleBroken(_("An action item ends as done or dropped."), state=state)
    note = clean_text(note, "note", required=state == ActionState.DROPPED, max_length=2000)
    with transaction.atomic():
        action = ReviewAction.objects.select_related("review").get(pk=action_id)
        incident = lock_incident(action.review.incident_id)
        if not permissions.may_view(by, incident):
            raise ReviewAction.DoesNotExist
        action = ReviewAction.objects.select_for_update().select_related("review__incident").get(pk=action_id)
        policy.FINISH_ACTION.check(by, action)
        if action.state != ActionState.OPEN:
            raise RuleBroken(
                _("This action item is already %(state)s.") % {"state": action.get_state_display()}, state=action.state
            )
        action.state, action.finished_at, action.note = state, timezone.now(), note
        action.save()
        alarms.plan(action)  # nothing left to remind of
        record(
            incident,
            REVIEW,
            actor=by,
            text=note,
            data={"action": "action_finished", "review": action.review_id, "action_item": action.pk,
                  "title": action.title, "state": state},
        )  # fmt: skip
    return action
