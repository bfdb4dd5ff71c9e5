from django.urls import path

from . import views

app_name = "crisis"

urlpatterns = [
    path("", views.board, name="board"),
    path("me/notifications/", views.my_notifications, name="notifications"),
    path("incidents/new/", views.declare, name="declare"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("incidents/<int:pk>/transition/", views.incident_transition, name="transition"),
    path("incidents/<int:pk>/notes/", views.incident_note, name="note"),
    path("incidents/<int:pk>/roles/", views.incident_role, name="role"),
    path("incidents/<int:pk>/roles/<int:assignment_id>/end/", views.role_end, name="role-end"),
    path("incidents/<int:pk>/command/", views.handover, name="handover"),
    path("incidents/<int:pk>/tasks/<int:task_id>/", views.task_update, name="task"),
    path("incidents/<int:pk>/deadlines/<int:deadline_id>/", views.deadline_update, name="deadline"),
]
