from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEvent, Job, User
from .roles import USER_FIELDS_BY_ROLE

admin.site.site_header = "洗新乡低保扩面扩围工作平台 · 系统管理"
admin.site.site_title = "洗新乡低保扩面扩围 系统管理"
admin.site.index_title = "系统管理（账户、村组、工作方案参数）"
admin.site.site_url = "/"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Users are deactivated, never deleted; each administrator edits only their own fields."""

    list_display = ["username", "last_name", "first_name", "role", "village", "is_active"]
    list_filter = ["role", "village", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("岗位", {"fields": ("role", "village", "township", "phone", "password_changed_at")}),
    )
    actions = ["deactivate_users"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        user = request.user
        if user.is_superuser or obj is None:
            return super().get_readonly_fields(request, obj)
        editable = set() if obj.pk == user.pk else USER_FIELDS_BY_ROLE.get(user.role, set())
        names = {f for _, opts in self.get_fieldsets(request, obj) for f in opts["fields"]}
        return sorted(names - editable)

    @admin.action(description="停用所选用户（用户不做物理删除）", permissions=["change"])
    def deactivate_users(self, request, queryset):
        count = 0
        for user in queryset.filter(is_active=True).exclude(pk=request.user.pk):
            user.is_active = False
            user.save(update_fields=["is_active"])
            count += 1
        self.message_user(request, f"已停用 {count} 个用户。", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: nobody changes or deletes audit records through the app."""

    list_display = ["at", "actor_name", "kind", "model", "object_id", "summary", "success"]
    list_filter = ["kind", "success"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Django's own admin log, readable by the audit administrator."""

    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag"]
    list_filter = ["action_flag", "content_type"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "done", "total", "created_at"]
