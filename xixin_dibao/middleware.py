"""Session idle timeout and absolute lifetime; forced change of an expired password.

A form posted after the session expired is not lost: its fields are kept in the (new, anonymous)
session as a draft, which Django's login keeps, and handed back to the same page for the same
user after logging in again (app.js fills the form from it).
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from .audit import record_security
from .models import AuditEvent


class SessionLifetimeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault("_started_at", now)
            last = request.session.get("_last_seen", now)
            idle_limit = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
            absolute_limit = settings.SESSION_ABSOLUTE_HOURS * 3600
            if now - last > idle_limit or now - started > absolute_limit:
                if request.path == reverse("session_ping"):
                    # A page asking to stay alive is not activity; the next real request logs out.
                    return JsonResponse({"active": False}, status=401)
                user = request.user
                logout(request)
                record_security(
                    actor=user, kind=AuditEvent.Kind.SESSION_EXPIRED, summary="会话超时，自动退出"
                )
                if request.method == "POST":
                    keep_draft(request, user_id=user.pk, now=now)
                    messages.info(request, DRAFT_KEPT_MESSAGE)
                else:
                    messages.info(request, "长时间未操作，已自动退出，请重新登录。")
                return redirect(f"{reverse('login')}?next={request.path}")
            request.session["_last_seen"] = now
            if request.method == "GET":
                request.restored_draft = take_draft(request, now=now)
        return self.get_response(request)


DRAFT_KEY = "_expired_draft"
DRAFT_KEEP_SECONDS = 4 * 3600
DRAFT_MAX_FIELDS = 5000
DRAFT_KEPT_MESSAGE = (
    "长时间未操作，已自动退出。您刚才填写的内容没有丢失：重新登录后会自动填回原页面，核对后再保存。"
)


def keep_draft(request, *, user_id: int, now: float) -> None:
    """Keep the fields of a form posted after expiry (not the CSRF token, not files)."""
    data = {
        key: request.POST.getlist(key)
        for key in list(request.POST.keys())[:DRAFT_MAX_FIELDS]
        if key != "csrfmiddlewaretoken"
    }
    request.session[DRAFT_KEY] = {
        "path": request.path,
        "user": user_id,
        "at": now,
        "data": data,
        "had_files": bool(request.FILES),
    }


def take_draft(request, *, now: float) -> dict | None:
    """The kept draft for this page and this user, removed from the session; else None."""
    draft = request.session.get(DRAFT_KEY)
    if not draft or draft.get("path") != request.path:
        return None
    del request.session[DRAFT_KEY]
    if draft.get("user") != request.user.pk or now - draft.get("at", 0) > DRAFT_KEEP_SECONDS:
        return None
    return draft


class PasswordExpiryMiddleware:
    """Send a user whose password is older than PASSWORD_EXPIRY_DAYS to the change form."""

    allowed = ("password_change", "password_change_done", "logout", "login")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        days = settings.PASSWORD_EXPIRY_DAYS
        if user.is_authenticated and days > 0 and not request.path.startswith("/static/"):
            expired = user.password_changed_at < timezone.now() - timedelta(days=days)
            allowed_paths = {reverse(name) for name in self.allowed}
            if expired and request.path not in allowed_paths:
                messages.warning(request, f"密码已超过 {days} 天未修改，请先修改密码。")
                return redirect("password_change")
        return self.get_response(request)


# The only pages a 领导小组 account may open: the dashboard, the 通报 and aggregate exports
# (issue 19.7). Everything else, every household page, dossier, scan, roster and per-household
# export, answers 403 before its view runs.
LEADERSHIP_VIEWS = frozenset(
    {
        "home",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "job_detail",
        "job_download",
        "dashboard",
        "dashboard_export",
        "dashboard_bulletin",
        "dashboard_bulletin_pdf",
        "dashboard_bulletin_docx",
        "verification:bulletin_detail",
        "verification:bulletin_docx",
    }
)


class LeadershipAggregatesOnlyMiddleware:
    """Leadership sees aggregates only: any view outside LEADERSHIP_VIEWS is refused."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_leadership:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in LEADERSHIP_VIEWS:
            return None
        raise PermissionDenied("领导小组账户只查看进度看板、通报和统计表，不查看家庭信息。")


class NoStoreMiddleware:
    """No page or file with personal data is kept by a browser or proxy cache (issue 19.11).

    Every response to a signed-in user, and the login page, gets Cache-Control: no-store.
    Static files are served by WhiteNoise before this runs and stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path == reverse("login"):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
