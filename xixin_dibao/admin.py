from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AuditEvent, Job, User

admin.site.site_header = "洗新乡低保扩面扩围工作平台 · 系统管理"
admin.site.site_title = "洗新乡低保扩面扩围 系统管理"
admin.site.index_title = "系统管理（账户、村组、工作方案参数）"
admin.site.site_url = "/"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "village", "is_active"]
    list_filter = ["role", "village", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("岗位", {"fields": ("role", "village", "township", "phone", "password_changed_at")}),
    )


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


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "status", "done", "total", "created_at"]
