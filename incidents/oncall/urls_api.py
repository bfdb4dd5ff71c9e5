from django.urls import path

from . import api

urlpatterns = [
    path("duty/", api.Duty.as_view(), name="duty"),
]
