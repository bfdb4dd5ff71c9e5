from django.urls import path

from . import api

urlpatterns = [
    path("playbooks/", api.PlaybookList.as_view(), name="playbook-list"),
    path("playbooks/<int:pk>/", api.PlaybookDetail.as_view(), name="playbook-detail"),
    path("playbook-versions/<int:pk>/", api.PlaybookVersionDetail.as_view(), name="playbook-version-detail"),
]
