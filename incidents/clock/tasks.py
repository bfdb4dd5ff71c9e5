"""The clock's Celery tasks, defined beside the code they wrap (`alarms`); imported here so that
Celery's autodiscovery finds them."""

from .alarms import arm_upcoming_alarms, fire_alarm, sweep_alarms

__all__ = ["arm_upcoming_alarms", "fire_alarm", "sweep_alarms"]
