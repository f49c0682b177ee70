"""Security events from Django auth and django-axes go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import record_security
from .models import AuditEvent


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    record_security(actor=user, kind=AuditEvent.Kind.LOGIN, request=request, summary="登录成功")


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_security(actor=user, kind=AuditEvent.Kind.LOGOUT, request=request, summary="退出")


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:60]
    record_security(
        kind=AuditEvent.Kind.LOGIN_FAILED,
        request=request,
        summary=f"用户名：{username}",
        success=False,
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs):
    record_security(
        kind=AuditEvent.Kind.LOCKOUT,
        request=request,
        summary=f"用户名：{str(username)[:60]} 连续登录失败被锁定",
        success=False,
    )
