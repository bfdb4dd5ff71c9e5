from django.urls import path

from . import views, warroom

app_name = "crisis"

urlpatterns = [
    path("", views.board, name="board"),
    path("board/table/", views.board_table, name="board-table"),
    path("me/notifications/", views.my_notifications, name="notifications"),
    path("incidents/new/", views.declare, name="declare"),
    path("incidents/<int:pk>/", warroom.incident_detail, name="incident"),
    path("incidents/<int:pk>/panels/<str:name>/", warroom.panel, name="panel"),
    path("incidents/<int:pk>/timeline/", warroom.timeline_page, name="timeline"),
    path("incidents/<int:pk>/transition/", warroom.incident_transition, name="transition"),
    path("incidents/<int:pk>/notes/", warroom.incident_note, name="note"),
    path("incidents/<int:pk>/roles/", warroom.incident_role, name="role"),
    path("incidents/<int:pk>/roles/<int:assignment_id>/end/", warroom.role_end, name="role-end"),
    path("incidents/<int:pk>/command/", views.handover, name="handover"),
    path("incidents/<int:pk>/tasks/<int:task_id>/", warroom.task_update, name="task"),
    path("incidents/<int:pk>/deadlines/<int:deadline_id>/", warroom.deadline_update, name="deadline"),
]
