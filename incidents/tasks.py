"""Celery tasks: thin wrappers; the work is in incidents.timers and incidents.notify."""

from celery import shared_task

from . import notify, timers


@shared_task(acks_late=True, ignore_result=True)
def fire_alarm(alarm_id: int, token: str, incident_id: int | None = None) -> bool:
    return timers.handle(alarm_id, token=token, via="eta", incident_id=incident_id)


@shared_task(ignore_result=True)
def sweep_alarms() -> int:
    return timers.sweep()


@shared_task(ignore_result=True)
def arm_upcoming_alarms() -> int:
    return timers.arm_upcoming()


@shared_task(acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> bool:
    return notify.deliver(notification_id)


@shared_task(ignore_result=True)
def sweep_notifications() -> int:
    return notify.sweep()
