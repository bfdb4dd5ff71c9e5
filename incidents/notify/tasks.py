"""Notify's Celery tasks, defined beside the code they wrap (`delivery`); imported here so that
Celery's autodiscovery finds them."""

from .delivery import deliver_notification, sweep_notifications

__all__ = ["deliver_notification", "sweep_notifications"]
