from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import dashboard_views, otp, todo, views

urlpatterns = [
    path("", views.home, name="home"),
    path("todo/", todo.todo, name="todo"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("session/ping/", views.session_ping, name="session_ping"),
    path("otp/setup/", otp.otp_setup, name="otp_setup"),
    path("otp/verify/", otp.otp_verify, name="otp_verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("jobs/<uuid:token>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:token>/download/", views.job_download, name="job_download"),
    path("dashboard/", dashboard_views.dashboard_view, name="dashboard"),
    path("dashboard/refresh/", dashboard_views.dashboard_refresh, name="dashboard_refresh"),
    path(
        "dashboard/households/", dashboard_views.dashboard_households, name="dashboard_households"
    ),
    path(
        "dashboard/households/export/",
        dashboard_views.dashboard_households_export,
        name="dashboard_households_export",
    ),
    path("dashboard/export.xlsx", dashboard_views.dashboard_export, name="dashboard_export"),
    path("dashboard/bulletin/", dashboard_views.bulletin_view, name="dashboard_bulletin"),
    path("dashboard/bulletin.pdf", dashboard_views.bulletin_pdf, name="dashboard_bulletin_pdf"),
    path("dashboard/bulletin.docx", dashboard_views.bulletin_docx, name="dashboard_bulletin_docx"),
    path("households/", include("households.urls")),
    path("screening/", include("screening.urls")),
    path("verification/", include("verification.urls")),
    path("archives/", include("archives.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "xixin_dibao.views.permission_denied"
handler404 = "xixin_dibao.views.page_not_found"
handler500 = "xixin_dibao.views.server_error"
