"""The API's JSON parser: DRF's, refusing what it lets through to a 500."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _has_nul(value: Any) -> bool:
    # A loop, not recursion: a body nested just short of the parser's limit must not hit ours.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


class StrictJSONParser(JSONParser):
    """Two kinds of bad body that DRF's parser passes on as server errors: nesting deep enough to
    exhaust Python's recursion limit (the json module raises RecursionError, which DRF does not
    catch), and NUL characters in text ("\\u0000"), which PostgreSQL cannot store. Both are a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None
        if _has_nul(data):
            raise ParseError(_("Text cannot contain NUL characters."))
        return data
