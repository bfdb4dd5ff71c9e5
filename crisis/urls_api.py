"""/api/ endpoints of the console itself: statistics."""

from django.urls import path

from . import metrics_api

urlpatterns = [
    path("metrics/incidents/", metrics_api.IncidentMetrics.as_view(), name="metrics-incidents"),
    path("metrics/complaints/", metrics_api.ComplaintMetrics.as_view(), name="metrics-complaints"),
]
