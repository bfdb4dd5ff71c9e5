from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:pk>/media/", api.IncidentMedia.as_view(), name="incident-media"),
]
