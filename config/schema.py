"""The OpenAPI schema tells the truth about errors: every operation documents the error answers it
can give, in the one shape the API gives them (config.errors): 400 bad input, 403 not allowed
(or not signed in), 404 unknown, 409 a rule would break, 415 a body of the wrong type."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("What went wrong, in the caller's language."))
    errors = serializers.DictField(
        required=False,
        help_text=_(
            "For bad input: the messages per field — a list of sentences, or for a list or nested field "
            "the same shape again, by position or name."
        ),
    )

    class Meta:
        ref_name = "Error"


ERROR_ANSWERS = {
    "400": _("Bad input: a field, a query parameter or the body (see `errors`)."),
    "403": _("Not signed in, or not allowed to do this."),
    "404": _("No such object, or not one the caller may see."),
    "409": _("A rule would break (e.g. a second commander); the answer may say what to do instead."),
    "415": _("The body is not of a type this operation reads."),
}


class ConsoleSchema(AutoSchema):
    def _error_codes(self) -> list[str]:
        codes = ["400", "403"]
        if "{" in self.path:
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409", "415"]
        elif getattr(self.view, "conflict_on_read", False):  # e.g. a review before its incident is closed
            codes.append("409")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        error = self.resolve_serializer(ErrorSerializer, direction).ref
        for code in self._error_codes():
            responses.setdefault(
                code,
                {"content": {"application/json": {"schema": error}}, "description": str(ERROR_ANSWERS[code])},
            )
        return responses
