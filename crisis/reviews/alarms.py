"""Action items on the generic clock: the owner is reminded a day before the due time, and when it
passes the owner and the incident's commander are told it is overdue — each exactly once, by the
clock's token-guarded alarms (owner type `reviews.action`), swept if a message is lost."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from incidents.alarms import lock_owner_incident
from incidents.clock import alarms as clock
from incidents.clock.models import Alarm, AlarmKind
from incidents.clock.registry import OwnerType
from incidents.notify import delivery as notify
from incidents.notify import texts

from .models import ActionState, ReviewAction
from .policy import last_commander

OWNER = "reviews.action"
TOPIC = "review_action"
REMIND_BEFORE_MINUTES = 24 * 60


def plan(action: ReviewAction) -> None:
    """(Re)plan an action item's alarms; the caller holds its incident's lock."""
    clock.cancel(OWNER, action.pk)
    if action.state == ActionState.OPEN:
        clock.schedule(clock.alarms_for(OWNER, action.pk, action.due_at, leads=[REMIND_BEFORE_MINUTES]))


def _lock(action_id: int, skip_locked: bool) -> ReviewAction:
    lock_owner_incident(
        ReviewAction.objects.filter(pk=action_id).values_list("review__incident_id", flat=True).first(), skip_locked
    )
    return ReviewAction.objects.select_related("owner", "review__incident").get(pk=action_id)


def _act(action: ReviewAction, alarm: Alarm) -> None:
    if action.state != ActionState.OPEN:
        return
    incident = action.review.incident
    data: dict[str, Any] = {
        "action_item": action.pk,
        "incident": incident.pk,
        "incident_title": incident.title,
        "title": action.title,
        "due": action.due_at.isoformat(),
        "alarm": alarm.pk,
    }
    people = {action.owner}
    if alarm.kind == AlarmKind.REMINDER:
        event = "deadline_reminder"
    else:
        event = "deadline_breached"
        people.add(last_commander(incident))  # overdue: the commander hears of it too
    notify.tell(
        event, [p for p in people if p is not None and p.is_active], by=None, data=data,
        topic=(TOPIC, action.pk), cause=f"alarm:{alarm.pk}",
    )  # fmt: skip


OWNER_TYPE = OwnerType(OWNER, _lock, _act, label=_("review action item"))


def _values(data: dict[str, Any]) -> dict[str, Any]:
    due = parse_datetime(data.get("due", ""))
    return {
        "title": data.get("title", ""),
        "incident": f"#{data.get('incident')} {data.get('incident_title', '')}",
        "due": date_format(timezone.localtime(due), "Y-m-d H:i") if due else "",
    }


def _exercise(action_id: int) -> bool:
    return ReviewAction.objects.filter(pk=action_id, review__incident__exercise=True).exists()


def register() -> None:
    notify.register_exercise_check(TOPIC, _exercise)
    texts.register_deadline_texts(
        TOPIC,
        _values,
        reminder=(
            _("Action item due tomorrow: %(title)s"),
            _("“%(title)s”, from the review of %(incident)s, is due at %(due)s."),
        ),
        breach=(
            _("Action item overdue: %(title)s"),
            _("“%(title)s”, from the review of %(incident)s, was due at %(due)s and is not done."),
        ),
    )
    texts.register_link(
        TOPIC,
        lambda pk: "/incidents/{}/review/#action-{}".format(
            ReviewAction.objects.filter(pk=pk).values_list("review__incident_id", flat=True).first(), pk
        ),
    )
