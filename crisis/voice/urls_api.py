"""/api/ endpoints of one voice: statements and Q&A lines."""

from django.urls import path

from . import api

urlpatterns = [
    path("incidents/<int:pk>/statements/", api.IncidentStatements.as_view(), name="incident-statements"),
    path("incidents/<int:pk>/statements/current/", api.CurrentStatement.as_view(), name="incident-statement-current"),
    path("statements/<int:pk>/", api.StatementDetail.as_view(), name="statement-detail"),
    path("statements/<int:pk>/revisions/", api.StatementRevisions.as_view(), name="statement-revisions"),
    path("statements/<int:pk>/submit/", api.StatementSubmit.as_view(), name="statement-submit"),
    path("statements/<int:pk>/approve/", api.StatementApprove.as_view(), name="statement-approve"),
    path("statements/<int:pk>/second-review/", api.StatementSecondReview.as_view(), name="statement-second-review"),
    path("statements/<int:pk>/reject/", api.StatementReject.as_view(), name="statement-reject"),
    path("statements/<int:pk>/publish/", api.StatementPublish.as_view(), name="statement-publish"),
    path("statements/<int:pk>/send-to-customers/", api.StatementSendToCustomers.as_view(), name="statement-customers"),
    path(
        "statements/<int:pk>/customer-messages/",
        api.StatementCustomerMessages.as_view(),
        name="statement-customer-messages",
    ),
    path("sms/replies/", api.SmsReply.as_view(), name="sms-replies"),
    path("statements/<int:pk>/withdraw/", api.StatementWithdraw.as_view(), name="statement-withdraw"),
    path("incidents/<int:pk>/qa-lines/", api.IncidentQALines.as_view(), name="incident-qa-lines"),
    path("incidents/<int:pk>/qa-lines/seed/", api.QALineSeed.as_view(), name="incident-qa-lines-seed"),
    path("qa-lines/<int:pk>/", api.QALineDetail.as_view(), name="qa-line-detail"),
    path("qa-lines/<int:pk>/submit/", api.QALineSubmit.as_view(), name="qa-line-submit"),
    path("qa-lines/<int:pk>/approve/", api.QALineApprove.as_view(), name="qa-line-approve"),
    path("qa-lines/<int:pk>/reject/", api.QALineReject.as_view(), name="qa-line-reject"),
    path("qa-lines/<int:pk>/withdraw/", api.QALineWithdraw.as_view(), name="qa-line-withdraw"),
    path("qa-lines/<int:pk>/revise/", api.QALineRevise.as_view(), name="qa-line-revise"),
]
