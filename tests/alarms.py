"""Finding the alarms and notifications of a deadline, task, incident or complaint time limit in
tests: alarms name their owner by type and id, notifications their cause."""

from __future__ import annotations

from django.db.models import Q

from crisis.reviews import alarms as review_alarms
from crisis.reviews.models import ReviewAction
from incidents import alarms as incident_alarm_kinds
from incidents.clock.models import Alarm
from incidents.complaints import ladder
from incidents.complaints.models import ComplaintDeadline
from incidents.models import Deadline, Incident, Task
from incidents.notify.models import Notification

OWNER_TYPES = {
    Deadline: incident_alarm_kinds.DEADLINE,
    Task: incident_alarm_kinds.TASK,
    Incident: incident_alarm_kinds.FIRST_HOUR,
    ComplaintDeadline: ladder.OWNER,
    ReviewAction: review_alarms.OWNER,
}


def alarms_of(owner):
    return Alarm.objects.owned_by(OWNER_TYPES[type(owner)], owner.pk)


def pending_of(owner):
    return Alarm.objects.pending().owned_by(OWNER_TYPES[type(owner)], owner.pk)


def caused_by(alarm):
    """The notifications an alarm caused."""
    return Notification.objects.filter(cause=f"alarm:{alarm.pk}")


def about(topic_type: str, topic):
    return Notification.objects.filter(topic_type=topic_type, topic_id=topic.pk)


def incident_alarms(incident, *, pending: bool = True):
    """Every alarm of an incident: its deadlines', its tasks' and its first-hour report."""
    rows = Alarm.objects.pending() if pending else Alarm.objects.all()
    return rows.filter(
        Q(owner_type=incident_alarm_kinds.FIRST_HOUR, owner_id=incident.pk)
        | Q(
            owner_type=incident_alarm_kinds.DEADLINE,
            owner_id__in=Deadline.objects.filter(incident=incident).values("pk"),
        )
        | Q(owner_type=incident_alarm_kinds.TASK, owner_id__in=Task.objects.filter(incident=incident).values("pk"))
    )
