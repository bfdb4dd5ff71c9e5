"""Fields every app's models declare again and again, declared once: who did something, when it
happened, and an optional link that keeps what it points to (PROTECT) without a reverse name."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def optional(to, verbose_name=None, *, on_delete=models.PROTECT, related_name: str = "+", **kwargs):
    """A link that may be empty: it protects its target and adds no reverse accessor by default."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=on_delete,
        related_name=related_name,
        verbose_name=verbose_name,
        **kwargs,
    )


def person(verbose_name=None, **kwargs):
    """Who did something (drafted, approved, met, rejected …); empty until someone does."""
    return optional(settings.AUTH_USER_MODEL, verbose_name, **kwargs)


def moment(verbose_name=None, **kwargs):
    """When something happened; empty until it does."""
    return models.DateTimeField(verbose_name, null=True, blank=True, **kwargs)
