"""/api/ endpoints of complaints."""

from django.urls import path

from . import api

urlpatterns = [
    path("complaints/", api.ComplaintListCreate.as_view(), name="complaint-list"),
    path("complaints/volume/", api.ComplaintVolume.as_view(), name="complaint-volume"),
    path("complaints/<int:pk>/", api.ComplaintDetail.as_view(), name="complaint-detail"),
    path("complaints/<int:pk>/replies/", api.ComplaintReplies.as_view(), name="complaint-replies"),
    path("complaints/<int:pk>/attachments/", api.ComplaintAttachments.as_view(), name="complaint-attachments"),
    path(
        "complaints/<int:pk>/complained-about/",
        api.ComplaintComplainedAbout.as_view(),
        name="complaint-complained-about",
    ),
    path("complaints/<int:pk>/extend/", api.ComplaintExtend.as_view(), name="complaint-extend"),
    path("complaints/<int:pk>/<str:action>/", api.ComplaintStep.as_view(), name="complaint-step"),
    path("replies/<int:pk>/given/", api.ReplyGiven.as_view(), name="reply-given"),
    path("replies/<int:pk>/text/", api.ReplyText.as_view(), name="reply-text"),
    path("replies/<int:pk>/confirm/", api.ReplyConfirm.as_view(), name="reply-confirm"),
    path("attachments/<int:pk>/", api.AttachmentDownload.as_view(), name="attachment-download"),
]
