"""Middleware for the server processes the tests start, and only for them."""

from django.contrib.contenttypes.models import ContentType


class ForgetContentTypes:
    """Between transactional tests the database is flushed and Django recreates the content types
    with new ids; a server process that lives across tests would keep the old ids in its cache, and
    the admin's change log would then point at a content type that is gone. Nothing like this
    happens outside the tests: content types are created once, by migrate."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ContentType.objects.clear_cache()
        return self.get_response(request)
