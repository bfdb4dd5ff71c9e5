"""/api/: each app's endpoints, token sign-in and the OpenAPI schema."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import ObtainAuthToken

from config.errors import json_not_found

urlpatterns = [
    path("auth/token/", ObtainAuthToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("playbooks.urls_api")),
    path("", include("incidents.oncall.urls_api")),
    path("", include("incidents.contacts.urls_api")),
    path("", include("incidents.urls_api")),
    path("", include("incidents.complaints.urls_api")),
    path("", include("crisis.voice.urls_api")),
    path("", include("crisis.authority.urls_api")),
    path("", include("crisis.media.urls_api")),
    path("", include("crisis.reviews.urls_api")),
    path("", include("crisis.urls_api")),
    re_path(r"^.*$", json_not_found),
]
