import logging

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import Http404
from django.shortcuts import render

log = logging.getLogger("crisis.errors")


class LoginRequiredEverywhere(LoginRequiredMiddleware):
    """Every page needs a signed-in user. The JSON API answers for itself (401/403 as JSON, and
    token authentication, which this middleware cannot see), so it is left to DRF."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class FriendlyErrors:
    """People see the console's own "not found" and "something went wrong" pages, also under
    `make run` (DEBUG): Django's debug pages are for developers, who set CRISIS_DEBUG_PAGES=1
    (the traceback is logged either way). The JSON API answers for itself."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if request.path_info.startswith("/api/") or not settings.DEBUG or settings.CRISIS_DEBUG_PAGES:
            return None  # without DEBUG, handler404 and 500.html do the same
        if isinstance(exception, Http404):
            return render(request, "404.html", status=404)
        log.error("Error on %s", request.path, exc_info=exception)
        return render(request, "500.html", status=500)
