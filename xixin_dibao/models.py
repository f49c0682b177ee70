"""Project-wide records: users and their roles, the audit trail, background jobs."""

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from xixin_dibao import clock


class Role(models.TextChoices):
    VILLAGE_OFFICER = "village_officer", "村综合服务专干"
    OFFICE = "office", "民政办"
    LEADERSHIP = "leadership", "领导小组"
    # 三员分立 (等保 level 3): none of the three reads household data.
    ADMIN = "admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


ADMIN_ROLES = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN)


class UserQuerySet(models.QuerySet):
    def delete(self):
        """Deactivate instead of deleting: audit rows keep pointing at their actor."""
        for user in self:
            user.delete()
        return 0, {}


class AppUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    role = models.CharField(
        "角色", max_length=20, choices=Role.choices, default=Role.VILLAGE_OFFICER
    )
    village = models.ForeignKey(
        "households.Village",
        verbose_name="所属村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="村综合服务专干只能看到并录入本村数据。",
    )
    township = models.ForeignKey(
        "households.Township",
        verbose_name="所属乡镇",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空表示可看全部乡镇（县级）。",
    )
    phone = models.CharField("电话", max_length=20, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", default=timezone.now)

    objects = AppUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        permissions = [("reveal_id_number", "查看完整身份证号")]

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        return f"{self.last_name}{self.first_name}".strip()

    def delete(self, using=None, keep_parents=False):
        """Users are never hard-deleted (等保: accounts are disabled; the audit keeps its actor)."""
        from .audit import record_security

        with transaction.atomic():
            if self.is_active:
                self.is_active = False
                self.save(update_fields=["is_active"])
            record_security(
                kind=AuditEvent.Kind.DELETE,
                summary=f"删除用户 {self.username} 的请求已改为停用（用户不做物理删除）",
                model="xixin_dibao.User",
                object_id=self.pk,
            )
        return 0, {}

    @property
    def is_village_officer(self) -> bool:
        return self.role == Role.VILLAGE_OFFICER

    @property
    def is_admin_role(self) -> bool:
        """System, security or audit administrator: manages the system, never reads its data."""
        return self.role in ADMIN_ROLES and not self.is_superuser

    @property
    def is_office(self) -> bool:
        return self.role == Role.OFFICE or self.is_superuser

    @property
    def is_leadership(self) -> bool:
        return self.role == Role.LEADERSHIP

    @property
    def can_edit_registry(self) -> bool:
        return self.role in (Role.VILLAGE_OFFICER, Role.OFFICE) or self.is_superuser

    @property
    def can_decide(self) -> bool:
        """Record review-meeting decisions and case transitions reserved to the office."""
        return self.is_office

    @property
    def can_reveal_ids(self) -> bool:
        return self.has_perm("xixin_dibao.reveal_id_number")

    def require(self, allowed: bool, message: str = "您没有执行此操作的权限。") -> None:
        if not allowed:
            raise PermissionDenied(message)


class AuditEventManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        """Chain new rows (restores keep the hashes they bring)."""
        from .audit_chain import chain

        objs = list(objs)
        if not objs or all(o.hash for o in objs):
            return super().bulk_create(objs, *args, **kwargs)
        using = self.db
        return chain(
            self.model,
            objs,
            using,
            lambda: super(AuditEventManager, self).bulk_create(objs, *args, **kwargs),
        )


class AuditEvent(models.Model):
    """Append-only record of a data change or a security event, hash-chained in id order."""

    class Kind(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        TRANSITION = "transition", "状态变更"
        LOGIN = "login", "登录成功"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOCKOUT = "lockout", "账户锁定"
        LOGOUT = "logout", "退出登录"
        SESSION_EXPIRED = "session_expired", "会话超时"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"
        PRINT = "print", "打印/生成PDF"
        REVEAL = "reveal", "查看完整身份证号"
        DENIED = "denied", "越权访问被拒绝"
        PERMISSION = "permission", "权限变更"
        ADMIN_EDIT = "admin_edit", "后台管理操作"
        USER_CREATED = "user_create", "新建用户"
        USER_DEACTIVATED = "user_deactivate", "停用用户"
        USER_ACTIVATED = "user_activate", "启用用户"
        PASSWORD_CHANGED = "password_change", "修改密码"
        OTP_ENROLLED = "otp_enroll", "绑定动态口令"
        OTP_FAILED = "otp_failed", "动态口令错误"

    at = models.DateTimeField("时间", default=clock.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField("操作人名称", max_length=150, blank=True)
    kind = models.CharField("事件", max_length=20, choices=Kind.choices, db_index=True)
    model = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    household_id = models.BigIntegerField("所属户", null=True, blank=True, db_index=True)
    summary = models.CharField("摘要", max_length=300, blank=True)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    ip_address = models.GenericIPAddressField("IP", null=True, blank=True)
    success = models.BooleanField("成功", default=True)
    prev_hash = models.CharField("前一条哈希", max_length=64, blank=True, editable=False)
    hash = models.CharField("本条哈希", max_length=64, blank=True, editable=False)

    objects = AuditEventManager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]

    def __str__(self):
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_kind_display()} {self.summary}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("审计记录不可修改。")
        if self.hash:
            return super().save(*args, **kwargs)
        from .audit_chain import chain

        using = kwargs.get("using") or "default"
        chain(type(self), [self], using, lambda: super(AuditEvent, self).save(*args, **kwargs))

    def delete(self, *args, **kwargs):
        raise PermissionDenied("审计记录不可删除。")


class Job(models.Model):
    """A long-running background job (import, bulk screening, dossier batch, export)."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    # Pages and downloads are addressed by this random token, never by the sequential id.
    token = models.UUIDField("访问令牌", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类型", max_length=40)
    title = models.CharField("名称", max_length=200)
    owner = models.ForeignKey(User, verbose_name="发起人", on_delete=models.PROTECT)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    params = models.JSONField("参数", default=dict, blank=True)
    total = models.PositiveIntegerField("总数", default=0)
    done = models.PositiveIntegerField("已完成", default=0)
    message = models.TextField("说明", blank=True)
    result_file = models.CharField("结果文件", max_length=300, blank=True)
    result_name = models.CharField("下载文件名", max_length=200, blank=True)
    created_at = clock.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Who runs it ("host:pid") and when it last said so: a job whose worker died is found and
    # failed on start (xixin_dibao.jobs.recover_jobs), instead of staying 进行中 forever.
    worker = models.CharField("执行进程", max_length=120, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("job_detail", args=[self.token])

    def get_download_url(self):
        return reverse("job_download", args=[self.token])

    @property
    def holds_full_ids(self) -> bool:
        """The result file carries unmasked ID numbers (downloading it is a reveal)."""
        return bool(self.params.get("reveal"))

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0


class DashboardSnapshot(models.Model):
    """The progress dashboard's figures for one campaign, precomputed every few minutes (P-7)."""

    campaign = models.OneToOneField(
        "households.Campaign",
        verbose_name="工作方案",
        related_name="dashboard_snapshot",
        on_delete=models.CASCADE,
    )
    as_of = models.DateField("统计日期")
    computed_at = models.DateTimeField("计算时间", default=clock.now)
    data = models.JSONField("统计数据", default=dict)

    class Meta:
        verbose_name = "进度看板数据"
        verbose_name_plural = "进度看板数据"

    def __str__(self):
        return f"{self.campaign} {timezone.localtime(self.computed_at):%Y-%m-%d %H:%M}"


class CoverageHistory(models.Model):
    """Township dibao coverage on one day, written by the dashboard refresh (one row a day)."""

    campaign = models.ForeignKey(
        "households.Campaign",
        verbose_name="工作方案",
        related_name="coverage_history",
        on_delete=models.CASCADE,
    )
    day = models.DateField("日期")
    dibao_households = models.PositiveIntegerField("低保户数")
    dibao_persons = models.PositiveIntegerField("低保人数")

    class Meta:
        verbose_name = "低保覆盖面每日记录"
        verbose_name_plural = "低保覆盖面每日记录"
        ordering = ["campaign_id", "day"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "day"], name="uniq_coverage_day")
        ]

    def __str__(self):
        return f"{self.day} {self.dibao_households}户{self.dibao_persons}人"


class PasswordHistory(models.Model):
    """A user's earlier password hashes, so a new password cannot repeat the last few (等保)."""

    user = models.ForeignKey(
        User, verbose_name="用户", related_name="password_history", on_delete=models.CASCADE
    )
    password = models.CharField("密码哈希", max_length=128)
    created_at = models.DateTimeField("设置时间", default=timezone.now)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d}"
