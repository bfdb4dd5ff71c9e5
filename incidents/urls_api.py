from django.urls import path

from . import api

urlpatterns = [
    path("incidents/", api.IncidentListCreate.as_view(), name="incident-list"),
    path("incidents/<int:pk>/", api.IncidentDetail.as_view(), name="incident-detail"),
    path("incidents/<int:pk>/transition/", api.IncidentTransition.as_view(), name="incident-transition"),
    path("incidents/<int:pk>/promises/", api.IncidentPromises.as_view(), name="incident-promises"),
    path("incidents/<int:pk>/confirm/", api.IncidentConfirm.as_view(), name="incident-confirm"),
    path("incidents/<int:pk>/commander/", api.IncidentCommander.as_view(), name="incident-commander"),
    path("incidents/<int:pk>/roles/", api.IncidentRoles.as_view(), name="incident-roles"),
    path("roles/<int:pk>/end/", api.RoleEnd.as_view(), name="role-end"),
    path("incidents/<int:pk>/timeline/", api.IncidentTimeline.as_view(), name="incident-timeline"),
    path("incidents/<int:pk>/notes/", api.IncidentNotes.as_view(), name="incident-notes"),
    path("incidents/<int:pk>/mute/", api.IncidentMute.as_view(), name="incident-mute"),
    path("incidents/<int:pk>/tasks/", api.IncidentTasks.as_view(), name="incident-tasks"),
    path("tasks/<int:pk>/", api.TaskDetail.as_view(), name="task-detail"),
    path("incidents/<int:pk>/deadlines/", api.IncidentDeadlines.as_view(), name="incident-deadlines"),
    path("deadlines/<int:pk>/meet/", api.DeadlineMeet.as_view(), name="deadline-meet"),
    path("deadlines/<int:pk>/waive/", api.DeadlineWaive.as_view(), name="deadline-waive"),
    path("deadlines/<int:pk>/move/", api.DeadlineMove.as_view(), name="deadline-move"),
    path("notifications/", api.MyNotifications.as_view(), name="my-notifications"),
    path("notifications/<int:pk>/ack/", api.NotificationAck.as_view(), name="notification-ack"),
    path("users/", api.UserList.as_view(), name="user-list"),
]
