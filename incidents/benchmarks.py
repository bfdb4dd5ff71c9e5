"""Shared by the benchmark commands: percentiles, and a user the benchmark acts as."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from config.numbers import percentile  # noqa: F401 - the benchmarks' figures


def bench_user(username: str, *codenames: str):
    """A user with an unusable password and exactly the permissions a benchmark needs."""
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"first_name": "Benchmark"})
    if created:
        user.set_unusable_password()
        user.save()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh permission cache
