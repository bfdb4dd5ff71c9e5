"""A domain that exists only in the test suite: it registers its own alarm owner type with the
clock, exactly as a real domain does, to show that a new kind of clock needs no change to
incidents/clock (tests/incidents/test_clock_owner_types.py)."""

from django.apps import AppConfig


class ClockProbeConfig(AppConfig):
    name = "tests.clockprobe"
    label = "clockprobe"

    def ready(self) -> None:
        from incidents.clock import registry

        from .models import OWNER_TYPE, act, lock

        registry.register(registry.OwnerType(OWNER_TYPE, lock, act))
