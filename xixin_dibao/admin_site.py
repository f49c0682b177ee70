"""The admin site: open to the three administrator roles, and every change it makes is audited."""

import json

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# Loaded by INSTALLED_APPS before the models: model imports stay inside the functions.
ADMIN_ROLE_NAMES = ("admin", "security_admin", "audit_admin")


def _record(request, obj, verb: str, message="") -> None:
    from django.contrib.admin.models import LogEntry

    from .audit import household_id_of, record_security
    from .models import AuditEvent

    if isinstance(message, list):
        message = LogEntry(change_message=json.dumps(message)).get_change_message()
    record_security(
        kind=AuditEvent.Kind.ADMIN_EDIT,
        request=request,
        summary=f"管理后台{verb}{obj._meta.verbose_name}「{obj}」{('：' + message) if message else ''}",
        model=obj._meta.label,
        object_id=obj.pk,
        household_id=household_id_of(obj),
    )


class AuditedAdminMixin:
    """Copy every admin log entry (add, change, delete) into the hash-chained audit trail."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        _record(request, obj, "新增", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        _record(request, obj, "修改", message)
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        entries = super().log_deletions(request, queryset)
        for obj in objects:
            _record(request, obj, "删除")
        return entries


class XixinAdminSite(admin.AdminSite):
    site_header = "洗新乡低保扩面扩围工作平台 · 管理后台"
    site_title = "管理后台"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_staff or getattr(user, "role", None) in ADMIN_ROLE_NAMES)

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__,
                (AuditedAdminMixin, admin_class),
                {"__module__": admin_class.__module__},
            )
        return super().register(model_or_iterable, admin_class, **options)


class XixinAdminConfig(AdminConfig):
    default_site = "xixin_dibao.admin_site.XixinAdminSite"
