"""Security events from Django auth, django-axes and account changes go to the audit trail."""

from axes.signals import user_locked_out
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from .audit import record_security
from .models import AuditEvent, User


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


# User accounts, roles and permissions (issue 19.3): whoever changes them, through any path.
WATCHED_USER_FIELDS = (
    "role",
    "is_staff",
    "is_superuser",
    "village_id",
    "township_id",
)


@receiver(pre_save, sender=User)
def remember_user_before_save(sender, instance, update_fields=None, **kwargs):
    instance._audit_before = None
    watched = {*WATCHED_USER_FIELDS, "is_active", "password", "village", "township"}
    if instance.pk is None or (update_fields is not None and not watched & set(update_fields)):
        return
    instance._audit_before = (
        User._base_manager.filter(pk=instance.pk)
        .values(*WATCHED_USER_FIELDS, "is_active", "password")
        .first()
    )


@receiver(post_save, sender=User)
def record_user_change(sender, instance, created, raw=False, **kwargs):
    if raw:
        return  # loaddata / restore
    common = {"model": "xixin_dibao.User", "object_id": instance.pk}
    name = instance.username
    if created:
        record_security(
            kind=AuditEvent.Kind.USER_CREATED,
            summary=f"新建用户 {name}，角色：{instance.get_role_display()}",
            **common,
        )
        return
    before = getattr(instance, "_audit_before", None)
    if not before:
        return
    changed = [
        f"{f}: {before[f]} → {getattr(instance, f)}"
        for f in WATCHED_USER_FIELDS
        if before[f] != getattr(instance, f)
    ]
    if changed:
        record_security(
            kind=AuditEvent.Kind.PERMISSION,
            summary=f"用户 {name} 角色/权限变更：" + "；".join(changed),
            **common,
        )
    if before["is_active"] != instance.is_active:
        kind = (
            AuditEvent.Kind.USER_ACTIVATED
            if instance.is_active
            else AuditEvent.Kind.USER_DEACTIVATED
        )
        record_security(
            kind=kind, summary=f"{'启用' if instance.is_active else '停用'}用户 {name}", **common
        )
    if before["password"] != instance.password:
        record_security(
            kind=AuditEvent.Kind.PASSWORD_CHANGED, summary=f"用户 {name} 的密码已修改", **common
        )


def _names(model, pks) -> str:
    return "、".join(sorted(str(o) for o in model.objects.filter(pk__in=pks or [])))[:200]


@receiver(m2m_changed, sender=User.groups.through)
@receiver(m2m_changed, sender=User.user_permissions.through)
@receiver(m2m_changed, sender=Group.permissions.through)
def record_permission_links(sender, instance, action, model, pk_set, reverse, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    verb = {"post_add": "增加", "post_remove": "移除", "pre_clear": "清空"}[action]
    target = (
        f"用户组 {instance}"
        if isinstance(instance, Group)
        else f"{instance._meta.verbose_name} {instance}"
    )
    record_security(
        kind=AuditEvent.Kind.PERMISSION,
        summary=f"{target} {verb}{model._meta.verbose_name}：{_names(model, pk_set)}",
        model=instance._meta.label,
        object_id=instance.pk,
    )
