"""Lists come in pages of {count, next, previous, results}. A page that does not exist (0, "abc",
or past the end) is bad input — 400, like any other bad query parameter — rather than DRF's 404,
which would say the list itself is unknown."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise ValidationError({self.page_query_param: [_("No such page.")]}) from None
