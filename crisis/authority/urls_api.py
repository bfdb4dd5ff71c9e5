"""/api/ endpoints of reports to authorities."""

from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:pk>/authority-reports/", api.IncidentReports.as_view(), name="incident-authority-reports"),
    path("authority-reports/<int:pk>/", api.ReportDetail.as_view(), name="authority-report"),
    path("authority-reports/<int:pk>/submit/", api.ReportSubmit.as_view(), name="authority-report-submit"),
    path("authority-reports/<int:pk>/changes/", api.ReportChanges.as_view(), name="authority-report-changes"),
]
