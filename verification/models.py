"""Verification cases and their records: data match, home visits, refusals, review, 公示."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse

from xixin_dibao import clock

from . import states

ID_NUMBER_MAX = 18


class CaseQuerySet(models.QuerySet):
    def for_user(self, user):
        """Cases of the households `user` may see (Household.objects.for_user is the rule)."""
        from households.models import Household

        return self.filter(household__in=Household.objects.for_user(user))


class ActiveCaseManager(models.Manager.from_queryset(CaseQuerySet)):
    """`Case.objects`: cases of households that count (Household.objects.active is the rule)."""

    use_in_migrations = True  # data migrations keep finding `objects`

    def get_queryset(self):
        from households.models import not_withdrawn

        return super().get_queryset().filter(not_withdrawn("household__"))


class Case(models.Model):
    """One household's passage through verification and review in one campaign."""

    class Source(models.TextChoices):
        CURRENT_RECIPIENT = "current_recipient", "在册对象"
        NEW_CANDIDATE = "new_candidate", "新增对象"
        LOOKBACK = "lookback", "回头看"

    campaign = models.ForeignKey(
        "households.Campaign", verbose_name="工作方案", on_delete=models.PROTECT
    )
    household = models.ForeignKey(
        "households.Household",
        verbose_name="家庭",
        related_name="verification_cases",
        on_delete=models.PROTECT,
    )
    source = models.CharField("对象来源", max_length=20, choices=Source.choices)
    state = models.CharField("状态", max_length=30, choices=states.STATE_CHOICES, db_index=True)
    version = models.PositiveIntegerField("版本", default=1)
    overdue = models.BooleanField("逾期", default=False, db_index=True)
    overdue_reason = models.CharField("逾期原因", max_length=100, blank=True)
    overdue_since = models.DateField("逾期日期", null=True, blank=True)
    separately_registered = models.BooleanField("近亲属单独登记备案", default=False)
    created_at = clock.DateTimeField("建档时间", auto_now_add=True)
    updated_at = clock.DateTimeField("更新时间", auto_now=True)
    state_changed_at = models.DateTimeField("状态变更时间", default=clock.now)

    all_objects = CaseQuerySet.as_manager()
    objects = ActiveCaseManager()

    class Meta:
        verbose_name = "核查审核案件"
        verbose_name_plural = "核查审核案件"
        default_manager_name = "all_objects"
        ordering = ["household__village__code", "household__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="uniq_case_household")
        ]

    def __str__(self):
        return f"{self.household.head_name}户（{self.get_state_display()}）"

    def get_absolute_url(self):
        return reverse("verification:case_detail", args=[self.pk])

    @property
    def state_label(self) -> str:
        return states.label(self.state)


class CaseTransition(models.Model):
    """Who moved a case from one state to another, when and why."""

    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="transitions", on_delete=models.CASCADE
    )
    from_state = models.CharField("原状态", max_length=30, blank=True)
    to_state = models.CharField("新状态", max_length=30)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    actor_name = models.CharField("操作人名称", max_length=150)
    at = models.DateTimeField("时间", default=clock.now)
    reason = models.CharField("原因", max_length=500)

    class Meta:
        verbose_name = "案件状态变更"
        verbose_name_plural = "案件状态变更"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{states.label(self.from_state)} → {states.label(self.to_state)}"

    @property
    def from_label(self) -> str:
        return states.label(self.from_state)

    @property
    def to_label(self) -> str:
        return states.label(self.to_state)


class DataMatchResult(models.Model):
    """The county system's 信息比对 result for one co-resident member."""

    class Origin(models.TextChoices):
        MANUAL = "manual", "手工录入"
        IMPORT = "import", "Excel导入"

    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="data_matches", on_delete=models.CASCADE
    )
    member = models.ForeignKey("households.Member", verbose_name="成员", on_delete=models.CASCADE)
    matched_on = models.DateField("比对日期")
    vehicles = models.PositiveSmallIntegerField("车辆（辆）", default=0)
    deposits = models.DecimalField("存款金额（元）", max_digits=12, decimal_places=2, default=0)
    business = models.CharField(
        "工商登记", max_length=200, blank=True, help_text="无则留空；有则填写市场主体名称。"
    )
    pension_monthly = models.DecimalField(
        "养老金月额（元）", max_digits=10, decimal_places=2, default=0
    )
    houses = models.PositiveSmallIntegerField("房产套数", default=0)
    housing_fund = models.BooleanField("有住房公积金缴存", default=False)
    note = models.CharField("备注", max_length=300, blank=True)
    origin = models.CharField("来源", max_length=10, choices=Origin.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL
    )
    entered_at = models.DateTimeField("录入时间", default=clock.now)

    class Meta:
        verbose_name = "信息比对结果"
        verbose_name_plural = "信息比对结果"
        ordering = ["case_id", "member_id"]
        constraints = [models.UniqueConstraint(fields=["case", "member"], name="uniq_match_member")]

    def __str__(self):
        return f"{self.member} {self.matched_on:%Y-%m-%d}"

    @property
    def household_id(self) -> int:
        """For the audit trail: the household this record belongs to."""
        return self.case.household_id


class HomeVisit(models.Model):
    """入户调查: at least two investigators, findings, and the signed form's scan."""

    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="home_visits", on_delete=models.CASCADE
    )
    visited_on = models.DateField("调查日期")
    investigators = models.JSONField("调查人员", default=list)
    county_participated = models.BooleanField(
        "县民政局参与入户", default=False, help_text="近亲属备案家庭须有县级入户调查。"
    )
    members_finding = models.TextField("家庭人员情况")
    employment_income_finding = models.TextField("就业及收入情况")
    property_finding = models.TextField("财产情况")
    spending_finding = models.TextField("日常开支情况")
    scan_path = models.CharField("签字调查表扫描件", max_length=200)
    scan_pages = models.PositiveSmallIntegerField("页数", default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", null=True, on_delete=models.SET_NULL
    )
    created_at = clock.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = "入户调查"
        verbose_name_plural = "入户调查"
        ordering = ["case_id", "visited_on", "id"]

    def __str__(self):
        return f"{self.visited_on:%Y-%m-%d} {'、'.join(self.investigators)}"

    @property
    def investigators_text(self) -> str:
        return "、".join(self.investigators)

    @property
    def household_id(self) -> int:
        """For the audit trail: the household this record belongs to."""
        return self.case.household_id


class Refusal(models.Model):
    """拒不配合核查: the written notice, its delivery, the returned receipt, any exception."""

    class DeliveryMethod(models.TextChoices):
        IN_PERSON = "in_person", "直接送达（本人签收）"
        FAMILY = "family", "交同住成年家属签收"
        LEFT = "left", "留置送达（见证人在场）"
        MAIL = "mail", "邮寄送达"

    case = models.OneToOneField(
        Case, verbose_name="案件", related_name="refusal", on_delete=models.CASCADE
    )
    refused_on = models.DateField("拒绝配合日期")
    details = models.TextField("拒绝配合情况")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    notice_number = models.CharField("告知书编号", max_length=40, blank=True)
    delivered_on = models.DateField("送达日期", null=True, blank=True)
    delivered_by = models.CharField("送达人", max_length=60, blank=True)
    delivery_method = models.CharField(
        "送达方式", max_length=20, choices=DeliveryMethod.choices, blank=True
    )
    receipt_scan_path = models.CharField("回执扫描件", max_length=200, blank=True)
    receipt_scan_pages = models.PositiveSmallIntegerField("回执页数", default=0)
    receipt_signed_on = models.DateField("回执签收日期", null=True, blank=True)
    receipt_received_on = models.DateField("回执交到民政办主任日期", null=True, blank=True)
    receipt_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回执登记人",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    exception_reason = models.TextField("特殊情况说明", blank=True)
    exception_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="特殊情况认定人",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    exception_at = models.DateTimeField("特殊情况认定时间", null=True, blank=True)
    # The deadline printed on the notice: no auto-exit before it has passed.
    reply_by = models.DateField("告知书载明的配合期限", null=True, blank=True)
    exit_reason = models.TextField("确认自动退出的理由", blank=True)
    exit_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认自动退出人",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    exit_at = models.DateTimeField("确认自动退出时间", null=True, blank=True)
    reversal_reason = models.TextField("撤销自动退出的理由", blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销自动退出人",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    reversed_at = models.DateTimeField("撤销自动退出时间", null=True, blank=True)
    created_at = clock.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "拒不配合核查"
        verbose_name_plural = "拒不配合核查"

    def __str__(self):
        return f"{self.case.household.head_name}户 拒不配合核查"

    @property
    def household_id(self) -> int:
        """For the audit trail: the household this record belongs to."""
        return self.case.household_id


class ReviewMeeting(models.Model):
    """集体研究审核 meeting: who attended, who recorded, the agenda and its decisions."""

    campaign = models.ForeignKey(
        "households.Campaign", verbose_name="工作方案", on_delete=models.PROTECT
    )
    held_on = models.DateField("会议日期")
    location = models.CharField("地点", max_length=100, blank=True)
    chair = models.CharField("主持人", max_length=40)
    attendees = models.JSONField("参会人员", default=list)
    recorder = models.CharField("记录人", max_length=40)
    sequence = models.PositiveIntegerField(
        "年度序号",
        null=True,
        blank=True,
        help_text="本工作方案内按创建先后编号：1、2、3……（由系统创建时编号）",
    )
    number = models.CharField("会议编号", max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL
    )
    created_at = clock.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "集体研究审核会议"
        verbose_name_plural = "集体研究审核会议"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sequence"], name="uniq_meeting_sequence")
        ]

    def __str__(self):
        return f"{self.held_on:%Y年%m月%d日}集体研究审核会议"

    def get_absolute_url(self):
        return reverse("verification:meeting_detail", args=[self.pk])

    @property
    def attendees_text(self) -> str:
        return "、".join(self.attendees)


class ReviewDecision(models.Model):
    """One agenda item of a meeting and, once decided, its decision, amount and reasons."""

    class Decision(models.TextChoices):
        INCLUDE_DIBAO = "include_dibao", "纳入低保"
        INCLUDE_MARGINAL = "include_marginal", "纳入低保边缘"
        MAINTAIN = "maintain", "维持"
        EXIT = "exit", "退出"
        REJECT = "reject", "不予纳入"

    NEGATIVE = frozenset({Decision.EXIT, Decision.REJECT})

    class IncomeSource(models.TextChoices):
        SCREENING = "screening", "研判结果"
        MANUAL = "manual", "手工填写"

    meeting = models.ForeignKey(
        ReviewMeeting, verbose_name="会议", related_name="items", on_delete=models.CASCADE
    )
    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="decisions", on_delete=models.PROTECT
    )
    position = models.PositiveSmallIntegerField("议程序号", default=0)
    decision = models.CharField("审核意见", max_length=20, choices=Decision.choices, blank=True)
    per_capita_income_monthly = models.DecimalField(
        "人均月收入（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    income_source = models.CharField(
        "人均收入来源", max_length=10, choices=IncomeSource.choices, blank=True
    )
    standard_monthly = models.DecimalField(
        "低保标准（元/人/月）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    counted_members = models.PositiveSmallIntegerField("计保人数", null=True, blank=True)
    monthly_amount = models.DecimalField(
        "月保障金（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    reasons = models.TextField("理由", blank=True)
    notice_number = models.CharField("不符合条件告知书编号", max_length=40, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="决定录入人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    is_current = models.BooleanField("现行决定", default=True)

    class Meta:
        verbose_name = "审核决定"
        verbose_name_plural = "审核决定"
        ordering = ["meeting_id", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="uniq_agenda_case")]

    def __str__(self):
        return f"{self.case.household.head_name}户 {self.get_decision_display() or '待决定'}"

    @property
    def is_negative(self) -> bool:
        return self.decision in self.NEGATIVE

    @property
    def household_id(self) -> int:
        """For the audit trail: the household this record belongs to."""
        return self.case.household_id


class PublicNotice(models.Model):
    """张榜公示 for one village: name, household size and amount only, for notice_days days."""

    campaign = models.ForeignKey(
        "households.Campaign", verbose_name="工作方案", on_delete=models.PROTECT
    )
    village = models.ForeignKey("households.Village", verbose_name="村", on_delete=models.PROTECT)
    sequence = models.PositiveIntegerField(
        "年度序号",
        null=True,
        blank=True,
        help_text="本工作方案内按创建先后编号：1、2、3……（由系统创建时编号）",
    )
    number = models.CharField("公示编号", max_length=40, blank=True)
    start_date = models.DateField("公示开始日期")
    days = models.PositiveSmallIntegerField("公示天数")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL
    )
    created_at = clock.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "张榜公示"
        verbose_name_plural = "张榜公示"
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sequence"], name="uniq_notice_sequence")
        ]

    def __str__(self):
        return f"{self.village.name}公示（{self.start_date:%Y-%m-%d}起）"

    def get_absolute_url(self):
        return reverse("verification:notice_detail", args=[self.pk])

    @property
    def end_date(self):
        """The last day of the period: start + days − 1 (7 calendar days, 第十九条)."""
        return self.start_date + timedelta(days=self.days - 1)


class PublicNoticeEntry(models.Model):
    """One household on a notice, copied at posting time (no ID, address or income detail)."""

    notice = models.ForeignKey(
        PublicNotice, verbose_name="公示", related_name="entries", on_delete=models.CASCADE
    )
    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="notice_entries", on_delete=models.PROTECT
    )
    decision = models.ForeignKey(ReviewDecision, verbose_name="审核决定", on_delete=models.PROTECT)
    name = models.CharField("姓名", max_length=40)
    household_size = models.PositiveSmallIntegerField("家庭人口")
    monthly_amount = models.DecimalField(
        "月保障金（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    withdrawn = models.BooleanField("因异议撤回", default=False)

    class Meta:
        verbose_name = "公示名单"
        verbose_name_plural = "公示名单"
        ordering = ["notice_id", "id"]

    def __str__(self):
        return self.name


class Objection(models.Model):
    """An objection raised during 公示; it re-opens the case for investigation or review."""

    class Action(models.TextChoices):
        REINVESTIGATE = "reinvestigate", "重新调查核实"
        REREVIEW = "rereview", "民主评议后重新审核"

    entry = models.ForeignKey(
        PublicNoticeEntry,
        verbose_name="公示名单",
        related_name="objections",
        on_delete=models.PROTECT,
    )
    received_on = models.DateField("收到日期")
    objector = models.CharField("异议人", max_length=60, blank=True, help_text="可匿名。")
    content = models.TextField("异议内容")
    action = models.CharField("处理方式", max_length=20, choices=Action.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, on_delete=models.SET_NULL
    )
    created_at = clock.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "公示异议"
        verbose_name_plural = "公示异议"
        ordering = ["-received_on", "-id"]

    def __str__(self):
        return f"{self.entry.name} {self.received_on:%Y-%m-%d}"


class RelativeDeclaration(models.Model):
    """近亲属备案: a staff member or village cadre declares a close relative."""

    class Relation(models.TextChoices):
        SPOUSE = "spouse", "配偶"
        PARENT = "parent", "父母"
        CHILD = "child", "子女"
        SIBLING = "sibling", "兄弟姐妹"
        GRANDPARENT = "grandparent", "祖父母、外祖父母"
        GRANDCHILD = "grandchild", "孙子女、外孙子女"

    declarant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申报人",
        related_name="relative_declarations",
        on_delete=models.CASCADE,
    )
    name = models.CharField("亲属姓名", max_length=40)
    id_number = models.CharField("亲属身份证号", max_length=ID_NUMBER_MAX, db_index=True)
    relation = models.CharField("关系", max_length=20, choices=Relation.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    created_at = clock.DateTimeField("申报时间", auto_now_add=True)

    class Meta:
        verbose_name = "近亲属备案"
        verbose_name_plural = "近亲属备案"
        ordering = ["declarant_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["declarant", "id_number"], name="uniq_declared_relative"
            )
        ]

    def __str__(self):
        return f"{self.declarant}的{self.get_relation_display()}{self.name}"


class SeparateRegistration(models.Model):
    """单独登记备案: a case whose household includes a declared close relative."""

    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="registrations", on_delete=models.CASCADE
    )
    declaration = models.ForeignKey(
        RelativeDeclaration, verbose_name="近亲属备案", on_delete=models.CASCADE
    )
    member = models.ForeignKey("households.Member", verbose_name="成员", on_delete=models.CASCADE)
    registered_at = models.DateTimeField("登记时间", default=clock.now)

    class Meta:
        verbose_name = "近亲属单独登记备案"
        verbose_name_plural = "近亲属单独登记备案"
        ordering = ["-registered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "declaration"], name="uniq_registration_declaration"
            )
        ]

    def __str__(self):
        return f"{self.case} · {self.declaration}"


class Notification(models.Model):
    """A deadline reminder or overdue notice for one village's officers."""

    class Kind(models.TextChoices):
        OUTREACH_REMINDER = "outreach_reminder", "摸排截止提醒"
        VERIFICATION_REMINDER = "verification_reminder", "核查截止提醒"

    campaign = models.ForeignKey(
        "households.Campaign", verbose_name="工作方案", on_delete=models.CASCADE
    )
    village = models.ForeignKey("households.Village", verbose_name="村", on_delete=models.CASCADE)
    kind = models.CharField("类型", max_length=30, choices=Kind.choices)
    deadline = models.DateField("截止日")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    open_count = models.PositiveIntegerField("未完成户数")
    created_on = models.DateField("生成日期")
    created_at = clock.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = "截止提醒"
        verbose_name_plural = "截止提醒"
        ordering = ["-created_at", "village__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "village", "kind"], name="uniq_notification_village"
            )
        ]

    def __str__(self):
        return self.title


class Bulletin(models.Model):
    """通报 draft after the outreach deadline: lagging villages and their figures."""

    campaign = models.OneToOneField(
        "households.Campaign", verbose_name="工作方案", on_delete=models.CASCADE
    )
    title = models.CharField("标题", max_length=200)
    body = models.TextField("正文（草稿，可修改）")
    figures = models.JSONField("各村数据", default=list)
    generated_on = models.DateField("生成日期")
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    updated_at = clock.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "通报草稿"
        verbose_name_plural = "通报草稿"

    def __str__(self):
        return self.title


class CountyConfirmation(models.Model):
    """县民政局审核确认 of a township decision, recorded after the 公示 period (审核确认办法).

    Confirming writes the assistance register (households.caseload); `effects` keeps what it wrote
    so that a wrongly recorded confirmation can be reversed. Never deleted: a reversal keeps the
    row with its reason.
    """

    case = models.ForeignKey(
        Case, verbose_name="案件", related_name="confirmations", on_delete=models.PROTECT
    )
    decision = models.ForeignKey(
        ReviewDecision,
        verbose_name="审核决定",
        null=True,
        blank=True,
        related_name="confirmations",
        on_delete=models.PROTECT,
    )
    outcome = models.CharField("确认事项", max_length=20)
    confirmed_on = models.DateField("县级确认日期")
    document_number = models.CharField("确认文号", max_length=60)
    start_date = models.DateField("救助起始/终止日期")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        related_name="+",
        on_delete=models.PROTECT,
    )
    recorded_at = models.DateTimeField("登记时间")
    effects = models.JSONField("写入的救助记录", default=dict, editable=False)
    reversed_at = models.DateTimeField("撤销时间", null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.PROTECT,
    )
    reversal_reason = models.CharField("撤销理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "县级审核确认"
        verbose_name_plural = "县级审核确认"
        ordering = ["-confirmed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(reversed_at__isnull=True),
                name="uniq_confirmation_in_force",
            )
        ]

    def __str__(self):
        return f"{self.case.household.head_name}户 县级确认 {self.document_number}"

    @property
    def household_id(self) -> int:
        return self.case.household_id

    @property
    def in_force(self) -> bool:
        return self.reversed_at is None
