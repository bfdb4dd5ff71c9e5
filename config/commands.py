"""One write use case, one command: who may (a `Permission`), what it takes (a typed input — a
DRF serializer that the API, the page form and the OpenAPI schema all use) and what it does (a
service). Views, the API and consumers only translate between HTTP and commands:

    may = Permission(lambda user, incident: ..., _("Only the commander … may …"))
    # the view, before it reads the body:     may.check(request.user, incident)
    # the service, again under the row lock:   may.check(by, incident)

A permission's message is written once, here, whoever asks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from .errors import NotAllowed


@dataclass(frozen=True)
class Permission:
    """A predicate `test(user, target)` and the one message that says why not. `refusal`, where
    given, chooses another answer for some callers — e.g. a conflict (409) naming the commander
    for a commander of another incident, who may command but not this one."""

    test: Callable[[Any, Any], bool]
    message: str | Promise
    refusal: Callable[[Any, Any, str], Exception] | None = None

    def __call__(self, user, target=None) -> bool:
        return bool(self.test(user, target))

    def check(self, user, target=None) -> None:
        if not self.test(user, target):
            raise self.refused(user, target)

    def refused(self, user, target=None) -> Exception:
        message = str(self.message)
        return self.refusal(user, target, message) if self.refusal else NotAllowed(message)


def validated(serializer_class, data: Any, **context: Any) -> dict[str, Any]:
    """The command's input from a JSON body or a form's QueryDict, or a ValidationError (400)."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
