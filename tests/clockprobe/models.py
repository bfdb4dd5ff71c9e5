from django.db import models

from incidents.clock.registry import Busy, Gone

OWNER_TYPE = "clockprobe.promise"


class Promise(models.Model):
    """Something promised by a time, owned by a domain the clock has never heard of."""

    what = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.what


class Ring(models.Model):
    """What the promise's alarms did: one row per time an alarm acted."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="rings")
    kind = models.CharField(max_length=20)
    alarm_id = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} of {self.promise_id}"


def lock(promise_id: int, skip_locked: bool) -> Promise:
    promise = Promise.objects.select_for_update(skip_locked=skip_locked).filter(pk=promise_id).first()
    if promise is None:
        raise Busy if Promise.objects.filter(pk=promise_id).exists() else Gone
    return promise


def act(promise: Promise, alarm) -> None:
    Ring.objects.create(promise=promise, kind=alarm.kind, alarm_id=alarm.pk)
