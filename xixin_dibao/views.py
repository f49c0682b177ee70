"""Project-level pages: start page per role, login, password change, background jobs, errors."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import login_guard
from .audit import record_security
from .models import AuditEvent, Job, Role

START_PAGES = {
    Role.VILLAGE_OFFICER: ["todo", "households:list"],
    Role.OFFICE: ["screening:queue", "households:list"],
    Role.ADMIN: ["admin:index"],
    Role.SECURITY_ADMIN: ["admin:index"],
    Role.AUDIT_ADMIN: ["admin:index"],
    Role.LEADERSHIP: ["dashboard"],
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

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        ip = login_guard.client_ip(request)
        wait = login_guard.seconds_to_wait(username, ip)
        if wait:
            form = self.get_form()
            # Not validated: checking the password now would count as another attempt.
            form._errors, form.cleaned_data = ErrorDict(), {}
            form.add_error(None, f"登录失败次数较多，请 {wait} 秒后再试。")
            return self.render_to_response(self.get_context_data(form=form), status=429)
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            login_guard.clear(username, ip)
        elif response.status_code == 200:
            login_guard.note_failure(username, ip)
        return response


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


def _visible_job(request, token) -> Job:
    """The job if the requesting user started it; 404 for everyone else (issue 19.1)."""
    job = Job.objects.filter(token=token, owner=request.user).first()
    if job is None:
        raise Http404("任务不存在")
    return job


@login_required
def job_detail(request, token):
    job = _visible_job(request, token)
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
def job_download(request, token):
    job = _visible_job(request, token)
    if not job.result_file:
        raise Http404("结果文件不存在")
    path = (Path(settings.MEDIA_ROOT) / job.result_file).resolve()
    if not path.is_file() or Path(settings.MEDIA_ROOT).resolve() not in path.parents:
        raise Http404("结果文件不存在")
    reveal = job.holds_full_ids
    record_security(
        kind=AuditEvent.Kind.REVEAL if reveal else AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"下载：{job.title}{'（含完整身份证号）' if reveal else ''}",
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
