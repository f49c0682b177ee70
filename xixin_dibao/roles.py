"""三员分立 (等保 level 3): what the system, security and audit administrators may do.

- 系统管理员 (admin): creates and deactivates users, maintains configuration (townships, villages,
  groups, campaigns); never reads or exports household data.
- 安全管理员 (security_admin): assigns roles, scopes, groups and permissions; resets second factors.
- 审计管理员 (audit_admin): reads the audit trail and the admin log, nothing else.

Their rights come from this table (RoleBackend), not from editable permission rows, so no one of
them can widen their own rights. SeparationOfDutiesMiddleware keeps all three out of every
business page: they work in the admin site only.
"""

from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.core.exceptions import PermissionDenied

from .models import ADMIN_ROLES, Role


def _crud(label: str, *actions: str) -> set[str]:
    app, model = label.split(".")
    return {f"{app}.{action}_{model}" for action in actions}


CONFIGURATION = ("households.township", "households.village", "households.villagegroup")
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _crud("xixin_dibao.user", "add", "change", "view")
        | {p for label in CONFIGURATION for p in _crud(label, "add", "change", "view")}
        | _crud("households.campaign", "add", "change", "view")
        | _crud("households.campaignbaseline", "add", "change", "delete", "view")
    ),
    Role.SECURITY_ADMIN: frozenset(
        _crud("xixin_dibao.user", "change", "view")
        | _crud("auth.group", "add", "change", "delete", "view")
        | _crud("auth.permission", "view")
        | _crud("otp_totp.totpdevice", "view", "delete")
    ),
    Role.AUDIT_ADMIN: frozenset(
        _crud("xixin_dibao.auditevent", "view") | _crud("admin.logentry", "view")
    ),
}
# User fields each administrator may change in the admin (superusers: all).
USER_FIELDS_BY_ROLE = {
    Role.ADMIN: {"username", "first_name", "last_name", "email", "phone", "is_active", "password"},
    Role.SECURITY_ADMIN: {
        "role",
        "village",
        "township",
        "is_staff",
        "groups",
        "user_permissions",
    },
}
# Paths administrators may open outside the admin site: signing in and out, their own password.
ADMIN_ROLE_PATHS = ("/admin/", "/login/", "/logout/", "/password/", "/otp/", "/static/")


class RoleBackend(BaseBackend):
    """Grant each administrator role its fixed set of model permissions."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(ROLE_PERMISSIONS.get(getattr(user_obj, "role", ""), ()))

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))


class AppModelBackend(ModelBackend):
    """Django's backend, except that administrators get no rights from permission rows."""

    def _get_permissions(self, user_obj, obj, from_name):
        if getattr(user_obj, "role", None) in ADMIN_ROLES and not user_obj.is_superuser:
            return set()
        return super()._get_permissions(user_obj, obj, from_name)


class SeparationOfDutiesMiddleware:
    """Keep administrators out of household data: only the admin site and account pages."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in ADMIN_ROLES
            and not user.is_superuser
            and request.path != "/"
            and not request.path.startswith(ADMIN_ROLE_PATHS)
        ):
            from .views import permission_denied

            return permission_denied(
                request,
                PermissionDenied(
                    f"{user.get_role_display()}只在管理后台工作，不能查看或导出家庭和个人信息（三员分立）。"
                ),
            )
        return self.get_response(request)
