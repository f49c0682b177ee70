"""Project-level pages: start page per role, login, password change, background jobs, errors."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .audit import record_security
from .models import AuditEvent, Job, Role

START_PAGES = {
    Role.VILLAGE_OFFICER: ["todo", "households:list"],
    Role.OFFICE: ["screening:queue", "households:list"],
    Role.ADMIN: ["admin:index"],
    Role.SECURITY_ADMIN: ["admin:index"],
    Role.AUDIT_ADMIN: ["admin:index"],
    Role.LEADERSHIP: ["dashboard", "households:list"],
}


@login_required
def home(request):
    """Send each role to where its work is."""
    for name in START_PAGES.get(request.user.role, ["households:list"]):
        try:
            return redirect(reverse(name))
        except NoReverseMatch:
            continue
    return redirect("households:list")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            messages.success(request, "您已安全退出。")
        return response


@require_POST
def session_ping(request):
    """Extend the session when the user is active on a page (typing into a long form)."""
    if not request.user.is_authenticated:
        return JsonResponse({"active": False}, status=401)
    return JsonResponse(
        {"active": True, "idle_seconds": settings.SESSION_IDLE_TIMEOUT_MINUTES * 60}
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.user.password_changed_at = timezone.now()
        self.request.user.save(update_fields=["password_changed_at"])
        return response


def _visible_job(request, pk) -> Job:
    job = get_object_or_404(Job, pk=pk)
    if job.owner_id != request.user.pk and not request.user.is_office:
        raise Http404
    return job


@login_required
def job_detail(request, pk):
    job = _visible_job(request, pk)
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "status": job.status,
                "status_label": job.get_status_display(),
                "percent": job.percent,
                "done": job.done,
                "total": job.total,
                "message": job.message,
                "has_file": bool(job.result_file),
                "result_name": job.result_name,
            }
        )
    return render(request, "jobs/detail.html", {"job": job})


@login_required
def job_download(request, pk):
    job = _visible_job(request, pk)
    if not job.result_file:
        raise Http404("结果文件不存在")
    path = (Path(settings.MEDIA_ROOT) / job.result_file).resolve()
    if not path.is_file() or Path(settings.MEDIA_ROOT).resolve() not in path.parents:
        raise Http404("结果文件不存在")
    record_security(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"下载：{job.title}",
        model="xixin_dibao.Job",
        object_id=job.pk,
    )
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.result_name or path.name)


def permission_denied(request, exception=None):
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        record_security(
            kind=AuditEvent.Kind.DENIED,
            request=request,
            summary=f"403 {request.path}"[:200],
            success=False,
        )
    message = str(exception) if exception and str(exception) else "您没有执行此操作的权限。"
    return render(request, "errors/403.html", {"message": message}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
