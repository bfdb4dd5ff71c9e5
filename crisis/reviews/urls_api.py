"""/api/ endpoints of reviews and their action items."""

from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:pk>/review/", api.IncidentReview.as_view(), name="incident-review"),
    path("incidents/<int:pk>/review/sign-off/", api.ReviewSignOff.as_view(), name="incident-review-sign-off"),
    path("incidents/<int:pk>/review/feedback/", api.ReviewFeedback.as_view(), name="incident-review-feedback"),
    path("incidents/<int:pk>/review/actions/", api.ReviewActions.as_view(), name="incident-review-actions"),
    path("review-actions/", api.ActionList.as_view(), name="review-actions"),
    path("review-actions/<int:pk>/finish/", api.ActionFinish.as_view(), name="review-action-finish"),
]
