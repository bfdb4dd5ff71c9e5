from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredEverywhere(LoginRequiredMiddleware):
    """Every page needs a signed-in user. The JSON API answers for itself (401/403 as JSON, and
    token authentication, which this middleware cannot see), so it is left to DRF."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
