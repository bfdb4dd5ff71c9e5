from django.urls import path

from . import api
from .complaints import api as complaints_api

urlpatterns = [
    path("incidents/", api.IncidentListCreate.as_view(), name="incident-list"),
    path("incidents/<int:pk>/", api.IncidentDetail.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/transition/", api.IncidentTransition.as_view(), name="incident-transition"),
    path("incidents/<int:pk>/commander/", api.IncidentCommander.as_view(), name="incident-commander"),
    path("incidents/<int:pk>/roles/", api.IncidentRoles.as_view(), name="incident-roles"),
    path("roles/<int:pk>/end/", api.RoleEnd.as_view(), name="role-end"),
    path("incidents/<int:pk>/timeline/", api.IncidentTimeline.as_view(), name="incident-timeline"),
    path("incidents/<int:pk>/notes/", api.IncidentNotes.as_view(), name="incident-notes"),
    path("incidents/<int:pk>/tasks/", api.IncidentTasks.as_view(), name="incident-tasks"),
    path("tasks/<int:pk>/", api.TaskDetail.as_view(), name="task-detail"),
    path("incidents/<int:pk>/deadlines/", api.IncidentDeadlines.as_view(), name="incident-deadlines"),
    path("deadlines/<int:pk>/meet/", api.DeadlineMeet.as_view(), name="deadline-meet"),
    path("deadlines/<int:pk>/waive/", api.DeadlineWaive.as_view(), name="deadline-waive"),
    path("deadlines/<int:pk>/move/", api.DeadlineMove.as_view(), name="deadline-move"),
    path("notifications/", api.MyNotifications.as_view(), name="my-notifications"),
    path("users/", api.UserList.as_view(), name="user-list"),
    path("complaints/", complaints_api.ComplaintListCreate.as_view(), name="complaint-list"),
    path("complaints/volume/", complaints_api.ComplaintVolume.as_view(), name="complaint-volume"),
    path("complaints/<int:pk>/", complaints_api.ComplaintDetail.as_view(), name="complaint-detail"),
    path("complaints/<int:pk>/replies/", complaints_api.ComplaintReplies.as_view(), name="complaint-replies"),
    path(
        "complaints/<int:pk>/attachments/", complaints_api.ComplaintAttachments.as_view(), name="complaint-attachments"
    ),
    path("complaints/<int:pk>/<str:action>/", complaints_api.ComplaintStep.as_view(), name="complaint-step"),
    path("replies/<int:pk>/given/", complaints_api.ReplyGiven.as_view(), name="reply-given"),
    path("attachments/<int:pk>/", complaints_api.AttachmentDownload.as_view(), name="attachment-download"),
]
