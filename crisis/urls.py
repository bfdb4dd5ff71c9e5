from django.urls import path

from . import complaint_views, review_views, statistics_views, views, voice_views, warroom

app_name = "crisis"

urlpatterns = [
    path("", views.board, name="board"),
    path("board/table/", views.board_table, name="board-table"),
    path("me/notifications/", views.my_notifications, name="notifications"),
    path("search/", views.search_page, name="search"),
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("me/notifications/<int:nid>/ack/", views.notification_ack, name="notification-ack"),
    path("incidents/new/", views.declare, name="declare"),
    path("incidents/<int:pk>/", warroom.incident_detail, name="incident"),
    path("incidents/<int:pk>/review/", review_views.review_page, name="review"),
    path("incidents/<int:pk>/review/write/", review_views.review_write, name="review-write"),
    path("incidents/<int:pk>/review/sign-off/", review_views.review_sign_off, name="review-sign-off"),
    path("incidents/<int:pk>/review/feedback/", review_views.review_feedback, name="review-feedback"),
    path("incidents/<int:pk>/review/actions/", review_views.review_action_add, name="review-action-add"),
    path(
        "incidents/<int:pk>/review/actions/<int:action_id>/finish/",
        review_views.review_action_finish,
        name="review-action-finish",
    ),
    path("incidents/<int:pk>/panels/<str:name>/", warroom.panel, name="panel"),
    path("incidents/<int:pk>/timeline/", warroom.timeline_page, name="timeline"),
    path("incidents/<int:pk>/transition/", warroom.incident_transition, name="transition"),
    path("incidents/<int:pk>/transition/<slug:name>/", warroom.transition_confirm, name="transition-confirm"),
    path("incidents/<int:pk>/confirm/", warroom.incident_confirm, name="confirm"),
    path("incidents/<int:pk>/promises/", warroom.incident_promise, name="promise"),
    path("incidents/<int:pk>/notes/", warroom.incident_note, name="note"),
    path("incidents/<int:pk>/mute/", warroom.incident_mute, name="mute"),
    path("incidents/<int:pk>/pins/", warroom.pin_toggle, name="pin"),
    path("incidents/<int:pk>/roles/", warroom.incident_role, name="role"),
    path("incidents/<int:pk>/roles/<int:assignment_id>/end/", warroom.role_end, name="role-end"),
    path("incidents/<int:pk>/command/", views.handover, name="handover"),
    path("incidents/<int:pk>/command/take/", warroom.take_command, name="take-command"),
    path("incidents/<int:pk>/tasks/<int:task_id>/", warroom.task_update, name="task"),
    path("incidents/<int:pk>/deadlines/<int:deadline_id>/", warroom.deadline_update, name="deadline"),
    # One voice: statements and Q&A lines (crisis/voice_views.py).
    path("incidents/<int:pk>/voice/", voice_views.voice_page, name="voice"),
    path("incidents/<int:pk>/statements/new/", voice_views.statement_new, name="statement-new"),
    path("incidents/<int:pk>/statements/<int:sid>/", voice_views.statement_detail, name="statement"),
    path(
        "incidents/<int:pk>/statements/<int:sid>/<slug:action>/",
        voice_views.statement_action,
        name="statement-action",
    ),
    path("incidents/<int:pk>/qa/", voice_views.qa_print, name="qa"),
    path("incidents/<int:pk>/qa/manage/", voice_views.qa_manage, name="qa-manage"),
    path("incidents/<int:pk>/qa/seed/", voice_views.qa_seed, name="qa-seed"),
    path("incidents/<int:pk>/qa/new/", voice_views.qa_new, name="qa-new"),
    path("incidents/<int:pk>/qa/<int:lid>/<slug:action>/", voice_views.qa_action, name="qa-action"),
    # Complaints and their handling form (crisis/complaint_views.py).
    path("complaints/", complaint_views.complaint_list, name="complaints"),
    path("complaints/new/", complaint_views.complaint_new, name="complaint-new"),
    path("complaints/<int:pk>/", complaint_views.complaint_detail, name="complaint"),
    path("complaints/<int:pk>/take/", complaint_views.complaint_take, name="complaint-take"),
    path("complaints/<int:pk>/steps/<slug:action>/", complaint_views.complaint_step, name="complaint-step"),
    path("complaints/<int:pk>/replies/", complaint_views.complaint_reply, name="complaint-reply"),
    path(
        "complaints/<int:pk>/replies/<int:rid>/given/",
        complaint_views.complaint_reply_given,
        name="complaint-reply-given",
    ),
    path(
        "complaints/<int:pk>/replies/<int:rid>/text/",
        complaint_views.complaint_reply_text,
        name="complaint-reply-text",
    ),
    path(
        "complaints/<int:pk>/replies/<int:rid>/confirm/",
        complaint_views.complaint_reply_confirm,
        name="complaint-reply-confirm",
    ),
    path(
        "complaints/<int:pk>/complained-about/",
        complaint_views.complaint_complained_about,
        name="complaint-complained-about",
    ),
    path("complaints/<int:pk>/extend/", complaint_views.complaint_extend, name="complaint-extend"),
    path("complaints/<int:pk>/attachments/", complaint_views.complaint_attach, name="complaint-attach"),
    path(
        "complaints/<int:pk>/attachments/<int:aid>/",
        complaint_views.attachment_download,
        name="complaint-attachment",
    ),
]
