from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("export/", views.case_list_export, name="case_list_export"),
    path("sync/", views.case_sync, name="case_sync"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/transition/", views.case_transition, name="case_transition"),
    path("cases/<int:pk>/data-match/", views.data_match_entry, name="data_match_entry"),
    path("cases/<int:pk>/data-match.pdf", views.data_match_pdf, name="data_match_pdf"),
    path("cases/<int:pk>/visits/new/", views.home_visit_create, name="home_visit_create"),
    path("visits/<int:pk>/scan/", views.visit_scan, name="visit_scan"),
    path("cases/<int:pk>/refusal/", views.refusal, name="refusal"),
    path("cases/<int:pk>/refusal/notice.pdf", views.refusal_notice_pdf, name="refusal_notice_pdf"),
    path(
        "cases/<int:pk>/refusal/notice.docx", views.refusal_notice_docx, name="refusal_notice_docx"
    ),
    path("cases/<int:pk>/refusal/delivery/", views.refusal_delivery, name="refusal_delivery"),
    path("cases/<int:pk>/refusal/receipt/", views.refusal_receipt, name="refusal_receipt"),
    path("cases/<int:pk>/refusal/receipt/scan/", views.receipt_scan, name="receipt_scan"),
    path("cases/<int:pk>/refusal/exception/", views.refusal_exception, name="refusal_exception"),
    path("cases/<int:pk>/auto-exit/", views.auto_exit_confirm, name="auto_exit_confirm"),
    path("cases/<int:pk>/auto-exit/reverse/", views.auto_exit_reverse, name="auto_exit_reverse"),
    path("cases/<int:pk>/objection/", views.objection_create, name="objection_create"),
    path("data-match/import/", views.data_match_import, name="data_match_import"),
    path("data-match/template.xlsx", views.data_match_template, name="data_match_template"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/refresh/", views.meeting_refresh, name="meeting_refresh"),
    path("meetings/<int:pk>/decide/", views.meeting_decide_many, name="meeting_decide_many"),
    path(
        "meetings/<int:pk>/items/<int:item_pk>/decide/",
        views.meeting_decide,
        name="meeting_decide",
    ),
    path("meetings/<int:pk>/minutes.pdf", views.meeting_minutes_pdf, name="meeting_minutes_pdf"),
    path("decisions/<int:pk>/notice.pdf", views.decision_notice_pdf, name="decision_notice_pdf"),
    path("decisions/<int:pk>/notice.docx", views.decision_notice_docx, name="decision_notice_docx"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/export/", views.notice_export, name="notice_export"),
    path("notices/<int:pk>/print/", views.notice_print, name="notice_print"),
    path("notices/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/report/", views.notice_report, name="notice_report"),
    path("objections/", views.objection_list, name="objection_list"),
    path("confirmations/", views.confirmation_list, name="confirmation_list"),
    path(
        "confirmations/<int:pk>/reverse/",
        views.confirmation_reverse,
        name="confirmation_reverse",
    ),
    path("relatives/", views.relative_list, name="relative_list"),
    path("deadlines/", views.notification_list, name="notification_list"),
    path("deadlines/bulletin/", views.bulletin_detail, name="bulletin_detail"),
    path("deadlines/bulletin.docx", views.bulletin_docx, name="bulletin_docx"),
]
