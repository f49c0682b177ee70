"""The registry: townships, villages, campaigns, households, members, incomes, assets."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from xixin_dibao import clock

from .idnumber import birth_date_from_id, sex_from_id


class Township(models.Model):
    code = models.CharField("乡镇代码", max_length=12, unique=True)
    name = models.CharField("乡镇", max_length=40)
    county = models.CharField("区县", max_length=40, default="石柱土家族自治县")

    class Meta:
        verbose_name = "乡镇"
        verbose_name_plural = "乡镇"
        ordering = ["code"]

    def __str__(self):
        return self.name


def scoped_for_user(qs, user, *, village: str, township: str):
    """The one scoping rule: a village officer's village, an office's township, or everything.

    `village` / `township`: the lookups from `qs`'s model to the village id and township id.
    """
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == "leadership":  # aggregates only (issue 19.7): no household rows at all
        return qs.none()
    if user.role == "village_officer":
        return qs.filter(**{village: user.village_id}) if user.village_id else qs.none()
    if user.township_id:
        return qs.filter(**{township: user.township_id})
    return qs


class VillageQuerySet(models.QuerySet):
    def for_user(self, user):
        """Villages `user` works in."""
        return scoped_for_user(self, user, village="pk", township="township_id")


class Village(models.Model):
    township = models.ForeignKey(Township, verbose_name="乡镇", on_delete=models.PROTECT)
    code = models.CharField("村代码", max_length=15, unique=True)
    name = models.CharField("村", max_length=40)
    urban_rural_class = models.CharField("城乡分类代码", max_length=3, default="220")

    objects = VillageQuerySet.as_manager()

    class Meta:
        verbose_name = "村"
        verbose_name_plural = "村"
        ordering = ["code"]

    def __str__(self):
        return self.name


class VillageGroup(models.Model):
    """村民组."""

    village = models.ForeignKey(
        Village, verbose_name="村", related_name="groups", on_delete=models.CASCADE
    )
    number = models.PositiveSmallIntegerField("组号")
    name = models.CharField("组名", max_length=20)

    class Meta:
        verbose_name = "村民组"
        verbose_name_plural = "村民组"
        ordering = ["village__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="uniq_group_number")
        ]

    def __str__(self):
        return f"{self.village.name}{self.name}"


class CampaignQuerySet(models.QuerySet):
    """The one way to find the current campaign (screening, verification, dashboards, 通报).

    Each township runs its own campaign; a county holds many. A township's current campaign is
    its newest active one: the latest year, then the latest created. A second active campaign
    in a township (the admin's "另存为新的" for next year's) takes over from the older one, which
    is then ignored everywhere, as if closed.
    """

    def current(self, *, user=None, township_id: int | None = None):
        """The current campaign of a township: `township_id`, or the township of `user` (an
        office's, a village officer's village's); a county-level account without a township
        gets the newest current campaign of any township."""
        if township_id is None and user is not None:
            township_id = user.township_id
            if township_id is None and getattr(user, "village_id", None):
                township_id = (
                    Village.objects.filter(pk=user.village_id)
                    .values_list("township_id", flat=True)
                    .first()
                )
        qs = self.current_campaigns()
        if township_id is not None:
            qs = qs.filter(township_id=township_id)
        return qs.order_by("-year", "-id").first()

    def current_campaigns(self):
        """Every township's current campaign (one per township that has an active one)."""
        newest = (
            Campaign.objects.filter(is_active=True, township_id=OuterRef("township_id"))
            .order_by("-year", "-id")
            .values("pk")[:1]
        )
        return self.filter(is_active=True, pk=Subquery(newest))

    def is_current(self, campaign) -> bool:
        return self.current_campaigns().filter(pk=campaign.pk).exists()


class Campaign(models.Model):
    """One campaign's policy numbers and dates: data, never code (洗府发〔2022〕156号)."""

    name = models.CharField("名称", max_length=100)
    document_number = models.CharField("文号", max_length=50, blank=True)
    year = models.PositiveSmallIntegerField("年度")
    township = models.ForeignKey(Township, verbose_name="乡镇", on_delete=models.PROTECT)
    is_active = models.BooleanField("当前活动", default=True)
    dibao_standard_monthly = models.DecimalField(
        "低保标准（元/人/月）", max_digits=8, decimal_places=2
    )
    marginal_multiplier = models.DecimalField("低保边缘倍数", max_digits=4, decimal_places=2)
    outreach_deadline = models.DateField("摸排截止日")
    verification_cutoff = models.DateField(
        "核查截止日", help_text="此日之后不再受理核查、入户调查。"
    )
    reminder_days = models.PositiveSmallIntegerField("截止前提醒天数", default=3)
    tuopin_income_screen = models.DecimalField(
        "脱贫户人均纯收入筛查线（元/年）", max_digits=10, decimal_places=2, default=Decimal("10000")
    )
    employment_cost_rate = models.DecimalField(
        "必要就业成本扣减比例",
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.30"),
        help_text="待县民政局确认（参考外地 30%）。",
    )
    employment_cost_scope = models.CharField(
        "必要就业成本扣减范围",
        max_length=12,
        choices=[
            ("all", "所有有工资性收入的成员"),
            ("away", "外出务工的成员"),
            ("sole_away", "仅在外务工的家庭唯一劳动力"),
        ],
        default="all",
        help_text="扣减比例适用于哪些成员的工资性收入。重庆口径未查到，各区县理解不一，"
        "待县民政局确认（见 docs/rules.md §1.2）。",
    )
    income_period_months = models.PositiveSmallIntegerField("收入计算期（月）", default=12)
    benefit_rounding = models.CharField(
        "月保障金取整单位",
        max_length=4,
        choices=[("yuan", "元"), ("jiao", "角"), ("fen", "分")],
        default="yuan",
        help_text="差额法月保障金四舍五入到元、角或分；研判、审核决定、公示、花名册、档案一致使用。",
    )
    minimum_wage_monthly = models.DecimalField(
        "最低工资标准（元/月，用于无收入证明的稳定就业人员）",
        max_digits=8,
        decimal_places=2,
        default=Decimal("2000"),
    )
    financial_assets_multiplier = models.DecimalField(
        "人均金融资产上限（年低保标准的倍数）", max_digits=4, decimal_places=2, default=Decimal("3")
    )
    house_count_limit = models.PositiveSmallIntegerField("住房套数提示线", default=2)
    exempt_vehicle_kinds = models.JSONField(
        "不计入的车辆类型",
        default=list,
        blank=True,
        help_text='如 ["motorcycle", "tricycle", "disabled_mobility"]',
    )
    rigid_expense_share = models.DecimalField(
        "支出型困难：刚性支出占收入比例", max_digits=4, decimal_places=2, default=Decimal("0.60")
    )
    expenditure_income_ceiling = models.DecimalField(
        "支出型困难：人均年收入上限（元）",
        max_digits=10,
        decimal_places=2,
        default=Decimal("10458"),
    )
    petition_threshold = models.PositiveSmallIntegerField("多次信访次数", default=2)
    covid_months_without_income = models.PositiveSmallIntegerField("疫情无收入月数", default=3)
    elderly_age = models.PositiveSmallIntegerField("老年人年龄", default=60)
    excluded_income_kinds = models.JSONField("不计入家庭收入的收入类型", default=list, blank=True)
    near_line_band = models.DecimalField(
        "临界范围（元/人/年）",
        max_digits=8,
        decimal_places=2,
        default=Decimal("500"),
        help_text="人均年收入与低保标准或边缘线相差不超过此数，列为“临界”。",
    )
    lookback_since = models.DateField("回头看起始日", default=date(2021, 1, 1))
    single_person_since = models.DateField("单人户纳入起始日", default=date(2021, 1, 1))
    notice_days = models.PositiveSmallIntegerField("公示天数", default=7)
    register_start = models.CharField(
        "县级确认后救助起始日",
        max_length=20,
        choices=[("confirmation", "确认当日"), ("next_month", "确认次月1日")],
        default="next_month",
        help_text="县民政局确认纳入后，低保、低保边缘记录从哪一天开始。",
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = "工作方案（政策参数）"
        verbose_name_plural = "工作方案（政策参数）"
        ordering = ["-year"]

    def __str__(self):
        return self.name

    @property
    def dibao_standard_annual(self) -> Decimal:
        return self.dibao_standard_monthly * 12

    @property
    def marginal_line_annual(self) -> Decimal:
        return self.dibao_standard_annual * self.marginal_multiplier


class CampaignBaseline(models.Model):
    """End-of-2021 coverage per village: the campaign must not fall below it (稳中有升)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="工作方案", related_name="baselines", on_delete=models.CASCADE
    )
    village = models.ForeignKey(Village, verbose_name="村", on_delete=models.PROTECT)
    dibao_households = models.PositiveIntegerField("2021年底低保户数")
    dibao_persons = models.PositiveIntegerField("2021年底低保人数")
    marginal_households = models.PositiveIntegerField("2021年底边缘户数", default=0)

    class Meta:
        verbose_name = "2021年底基数"
        verbose_name_plural = "2021年底基数"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "village"], name="uniq_baseline_village")
        ]

    def __str__(self):
        return f"{self.village} {self.dibao_households}户{self.dibao_persons}人"


def surveyed_condition(prefix: str = "") -> Q:
    """已摸排: the officer marked the household's survey complete (the one definition, used by
    the registry, the deadline checks and the dashboard; `prefix` reaches it through a relation,
    e.g. "household__")."""
    return Q(**{f"{prefix}survey_completed_at__isnull": False})


def not_withdrawn(prefix: str = "") -> Q:
    """The one rule for households that count (not withdrawn), from a model `prefix` away.

    `not_withdrawn()` on households, `not_withdrawn("household__")` on their cases, members, records.
    """
    return Q(**{f"{prefix}withdrawn_at__isnull": True})


class HouseholdQuerySet(models.QuerySet):
    def for_user(self, user):
        """Households `user` may see: their village, their township, or all."""
        return scoped_for_user(self, user, village="village_id", township="village__township_id")

    def surveyed(self):
        """Households whose 摸排 is marked complete (已摸排)."""
        return self.filter(surveyed_condition())

    def not_surveyed(self):
        return self.exclude(surveyed_condition())

    def active(self):
        """Households that count: not withdrawn as registered by mistake (the one such filter)."""
        return self.filter(not_withdrawn())

    def withdrawn(self):
        return self.exclude(not_withdrawn())


class ActiveHouseholdManager(models.Manager.from_queryset(HouseholdQuerySet)):
    """`Household.objects`: withdrawn households count nowhere (lists, screening, dashboard,
    deadlines, rosters); `Household.all_objects` sees them too (backups, restoring, uniqueness)."""

    use_in_migrations = True  # data migrations keep finding `objects`

    def get_queryset(self):
        return super().get_queryset().active()


class Household(models.Model):
    class HukouType(models.TextChoices):
        RURAL = "rural", "农业户口"
        URBAN = "urban", "非农业户口"

    class ReferralSource(models.TextChoices):
        CADRE_SURVEY = "cadre_survey", "村干部排查"
        SELF_APPLICATION = "self_application", "本人申请"
        DEPARTMENT_DATA = "department_data", "部门数据推送"
        PETITION = "petition", "信访反映"
        LOOKBACK = "lookback", "回头看"
        EXISTING = "existing", "在册对象"

    class MonitoringType(models.TextChoices):
        NONE = "", "非监测户"
        UNSTABLE = "unstable", "脱贫不稳定户"
        MARGINAL_POOR = "marginal_poor", "边缘易致贫户"
        SUDDEN = "sudden", "突发严重困难户"

    village = models.ForeignKey(Village, verbose_name="村", on_delete=models.PROTECT)
    group = models.ForeignKey(
        VillageGroup, verbose_name="村民组", null=True, blank=True, on_delete=models.PROTECT
    )
    code = models.CharField("户编号", max_length=30, unique=True)
    head_name = models.CharField("户主姓名", max_length=40, db_index=True)
    address = models.CharField("住址", max_length=200, blank=True)
    hukou_type = models.CharField(
        "户籍类型", max_length=10, choices=HukouType.choices, default=HukouType.RURAL
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    referral_source = models.CharField(
        "发现来源",
        max_length=20,
        choices=ReferralSource.choices,
        default=ReferralSource.CADRE_SURVEY,
    )
    petition_count = models.PositiveSmallIntegerField("低保信访次数", default=0)
    monitoring_type = models.CharField(
        "监测户类型", max_length=20, choices=MonitoringType.choices, blank=True, default=""
    )
    risk_cleared = models.BooleanField("监测户风险已消除", default=False)
    risk_cleared_date = models.DateField("风险消除日期", null=True, blank=True)
    is_tuopin = models.BooleanField("脱贫户", default=False)
    tuopin_net_income_2021 = models.DecimalField(
        "2021年人均纯收入（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    tuopin_net_income_2022_estimate = models.DecimalField(
        "2022年预估人均纯收入（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    disaster_loss = models.BooleanField("今年受灾", default=False)
    high_fee_schooling = models.BooleanField("自费就读高收费学校或出国留学", default=False)
    high_consumption = models.BooleanField("生活水平明显高于当地低保标准", default=False)
    hardship_note = models.TextField("困难情况说明", blank=True)
    # 摸排 is complete only when the officer says so (households.survey.mark_survey_complete
    # checks what is still missing first); only then does the household go on to verification.
    survey_completed_at = models.DateTimeField(
        "摸排完成时间", null=True, blank=True, editable=False
    )
    survey_completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="摸排完成确认人",
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    # Kinds of assistance some member receives now (",dibao,marginal,"): derived from the
    # AssistanceRecords by households.assistance, so the registry list filters without a join.
    assistance_now = models.CharField(
        "当前救助", max_length=100, blank=True, default="", editable=False
    )
    created_at = clock.DateTimeField("登记时间", auto_now_add=True)
    updated_at = clock.DateTimeField("更新时间", auto_now=True)
    withdrawn_at = models.DateTimeField("撤销登记时间", null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        "xixin_dibao.User",
        verbose_name="撤销人",
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        on_delete=models.SET_NULL,
    )
    withdrawn_reason = models.CharField("撤销原因", max_length=200, blank=True, editable=False)

    all_objects = HouseholdQuerySet.as_manager()
    objects = ActiveHouseholdManager()

    class Meta:
        verbose_name = "家庭"
        verbose_name_plural = "家庭"
        default_manager_name = "all_objects"
        ordering = ["village__code", "code"]
        indexes = [models.Index(fields=["village", "code"])]

    def __str__(self):
        return f"{self.code} {self.head_name}"

    def get_absolute_url(self):
        return reverse("households:detail", args=[self.pk])

    @property
    def survey_complete(self) -> bool:
        return self.survey_completed_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class Member(models.Model):
    class Relation(models.TextChoices):
        HEAD = "head", "户主"
        SPOUSE = "spouse", "配偶"
        CHILD = "child", "子女"
        PARENT = "parent", "父母"
        GRANDCHILD = "grandchild", "孙子女"
        GRANDPARENT = "grandparent", "祖父母"
        SIBLING = "sibling", "兄弟姐妹"
        CHILD_IN_LAW = "child_in_law", "儿媳/女婿"
        OTHER = "other", "其他"

    class Exclusion(models.TextChoices):
        NONE = "", "共同生活"
        CLERGY_3Y = "clergy_3y", "宗教教职人员连续三年以上脱离家庭"
        PRISON = "prison", "服刑"
        DRUG_REHAB = "drug_rehab", "强制隔离戒毒"
        MISSING = "missing", "宣告失踪"
        OTHER = "other", "其他（注明）"

    class Sex(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class DisabilityKind(models.TextChoices):
        NONE = "", "无"
        PHYSICAL = "physical", "肢体"
        VISUAL = "visual", "视力"
        HEARING = "hearing", "听力"
        SPEECH = "speech", "言语"
        INTELLECTUAL = "intellectual", "智力"
        PSYCHIATRIC = "psychiatric", "精神"
        MULTIPLE = "multiple", "多重"

    class WorkCapacity(models.TextChoices):
        FULL = "full", "有劳动能力"
        PARTIAL = "partial", "部分丧失劳动能力"
        NONE = "none", "无劳动能力"

    class StudentLevel(models.TextChoices):
        NONE = "", "非在校生"
        PRESCHOOL = "preschool", "学前"
        PRIMARY = "primary", "小学"
        JUNIOR = "junior", "初中"
        SENIOR = "senior", "高中/中职"
        COLLEGE = "college", "大专/本科"
        GRADUATE = "graduate", "研究生"

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="members", on_delete=models.CASCADE
    )
    name = models.CharField("姓名", max_length=40, db_index=True)
    id_number = models.CharField("身份证号", max_length=18, unique=True, null=True, blank=True)
    no_id_reason = models.CharField("无身份证号原因", max_length=100, blank=True)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    relation = models.CharField("与户主关系", max_length=20, choices=Relation.choices)
    exclusion = models.CharField(
        "共同生活情况", max_length=20, choices=Exclusion.choices, blank=True, default=""
    )
    exclusion_note = models.CharField("不计入说明", max_length=100, blank=True)
    chongqing_hukou = models.BooleanField("重庆市户籍", default=True)
    disability_kind = models.CharField(
        "残疾类别", max_length=20, choices=DisabilityKind.choices, blank=True, default=""
    )
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", null=True, blank=True, choices=[(i, f"{i}级") for i in range(1, 5)]
    )
    serious_illness = models.BooleanField("患重特大疾病", default=False)
    student_level = models.CharField(
        "在校就读", max_length=20, choices=StudentLevel.choices, blank=True, default=""
    )
    work_capacity = models.CharField(
        "劳动能力", max_length=10, choices=WorkCapacity.choices, default=WorkCapacity.FULL
    )
    employed = models.BooleanField("就业", default=False)
    works_away = models.BooleanField("外出务工", default=False)
    stable_employment_no_proof = models.BooleanField("稳定就业但无收入证明", default=False)
    unemployed_due_to_covid = models.BooleanField("受疫情影响无法务工", default=False)
    months_without_income = models.PositiveSmallIntegerField("无收入月数", default=0)
    lives_alone = models.BooleanField("独居", default=False)
    has_able_supporter = models.BooleanField("有履行能力的法定赡养人", default=True)
    supporters_work_away = models.BooleanField("赡养人常年外出务工", default=False)

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = "家庭成员"
        ordering = ["household_id", "id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.id_number:
            self.id_number = self.id_number.upper()
            self.sex = sex_from_id(self.id_number)
            self.birth_date = birth_date_from_id(self.id_number)
        else:
            self.id_number = None
        super().save(*args, **kwargs)

    @property
    def co_resident(self) -> bool:
        return not self.exclusion

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class AssistanceRecord(models.Model):
    """One person's spell on 低保 (whole household or 单人户), 低保边缘 or 特困."""

    class Kind(models.TextChoices):
        DIBAO = "dibao", "低保（整户）"
        DIBAO_SINGLE = "dibao_single", "低保（单人户）"
        MARGINAL = "marginal", "低保边缘"
        EXTREME_POVERTY = "extreme_poverty", "特困"

    class ExitReason(models.TextChoices):
        NONE = "", "—"
        INCOME_ROSE = "income_rose", "收入增加"
        ASSETS = "assets", "财产不符合"
        DEATH = "death", "死亡"
        MOVED = "moved", "迁出"
        REFUSED_CHECK = "refused_check", "视为自动退出"
        VOLUNTARY = "voluntary", "本人申请退出"
        OTHER = "other", "其他"

    class Source(models.TextChoices):
        MANUAL = "manual", "手工登记"
        IMPORT = "import", "Excel导入"
        ROSTER = "roster", "在册对象导入"
        CONFIRMATION = "confirmation", "县级确认"

    member = models.ForeignKey(
        Member, verbose_name="成员", related_name="assistance", on_delete=models.CASCADE
    )
    kind = models.CharField("类别", max_length=20, choices=Kind.choices)
    start_date = models.DateField("起始日期")
    end_date = models.DateField("终止日期", null=True, blank=True)
    exit_reason = models.CharField(
        "退出原因", max_length=20, choices=ExitReason.choices, blank=True, default=""
    )
    single_person_basis = models.CharField("单人户依据", max_length=40, blank=True)
    exit_note = models.CharField(
        "退出原因说明", max_length=200, blank=True, default="", db_default=""
    )
    monthly_amount = models.DecimalField(
        "月保障金（元/人）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    people_covered = models.PositiveSmallIntegerField("保障人数", null=True, blank=True)
    source = models.CharField(
        "登记方式",
        max_length=20,
        choices=Source.choices,
        default=Source.MANUAL,
        db_default=Source.MANUAL,
        editable=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="经本工作方案纳入",
        null=True,
        blank=True,
        editable=False,
        related_name="opened_records",
        on_delete=models.PROTECT,
    )

    class Meta:
        verbose_name = "救助记录"
        verbose_name_plural = "救助记录"
        ordering = ["member_id", "start_date"]
        indexes = [
            # "Who is on assistance now": a small index, whatever the length of the history.
            models.Index(
                fields=["member", "kind"],
                condition=Q(end_date__isnull=True),
                name="assistance_current_idx",
            )
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()} {self.start_date}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class Application(models.Model):
    """A past application for assistance and its outcome (回头看 needs the refused ones)."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", "通过"
        REFUSED = "refused", "未通过"
        WITHDRAWN = "withdrawn", "撤回"
        PENDING = "pending", "办理中"

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="applications", on_delete=models.CASCADE
    )
    applied_on = models.DateField("申请日期")
    kind = models.CharField("申请类别", max_length=20, choices=AssistanceRecord.Kind.choices)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    decided_on = models.DateField("决定日期", null=True, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "申请记录"
        verbose_name_plural = "申请记录"
        ordering = ["household_id", "applied_on"]

    def __str__(self):
        return f"{self.applied_on} {self.get_kind_display()} {self.get_outcome_display()}"


class Income(models.Model):
    class Kind(models.TextChoices):
        WAGE = "wage", "工资性收入"
        OPERATING = "operating", "经营净收入"
        PROPERTY = "property", "财产净收入"
        TRANSFER_SUPPORT = "transfer_support", "赡养/抚养/扶养费"
        PENSION = "pension", "养老金（基础养老金以外）"
        OTHER_TRANSFER = "other_transfer", "其他转移净收入"
        OTHER = "other", "其他收入"
        BASIC_PENSION = "basic_pension", "城乡居民基础养老金（不计入）"
        VETERANS_BENEFIT = "veterans_benefit", "优待抚恤金（不计入）"
        FAMILY_PLANNING_AWARD = "family_planning_award", "计划生育奖励扶助金（不计入）"
        SCHOLARSHIP = "scholarship", "奖学金（不计入）"
        HEROISM_AWARD = "heroism_award", "见义勇为等奖励（不计入）"
        SOCIAL_ASSISTANCE = "social_assistance", "社会救助款物（不计入）"
        ELDERLY_ALLOWANCE = "elderly_allowance", "高龄津贴"
        DISABILITY_SUBSIDY = "disability_subsidy", "残疾人两项补贴"

    class Source(models.TextChoices):
        DECLARED = "declared", "申报"
        DATA_MATCH = "data_match", "信息比对"
        IMPUTED = "imputed", "推算"

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="incomes", on_delete=models.CASCADE
    )
    member = models.ForeignKey(
        Member, verbose_name="成员", null=True, blank=True, on_delete=models.CASCADE
    )
    kind = models.CharField("收入类型", max_length=30, choices=Kind.choices)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    period_months = models.PositiveSmallIntegerField("金额对应月数", default=12)
    source = models.CharField(
        "来源", max_length=20, choices=Source.choices, default=Source.DECLARED
    )
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "收入"
        verbose_name_plural = "收入"
        ordering = ["household_id", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Asset(models.Model):
    class Kind(models.TextChoices):
        DEPOSIT = "deposit", "存款"
        SECURITIES = "securities", "有价证券/基金/商业保险"
        VEHICLE = "vehicle", "车辆/船舶"
        HOUSE = "house", "住房"
        NON_RESIDENTIAL = "non_residential", "非居住类房产"
        BUSINESS = "business", "工商登记（市场主体）"

    class VehicleKind(models.TextChoices):
        NONE = "", "—"
        CAR = "car", "小汽车"
        TRUCK = "truck", "货车"
        MOTORCYCLE = "motorcycle", "摩托车"
        TRICYCLE = "tricycle", "三轮车"
        DISABLED_MOBILITY = "disabled_mobility", "残疾人代步车"
        FARM_MACHINERY_LARGE = "farm_machinery_large", "大型农机"
        BOAT = "boat", "船舶"

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="assets", on_delete=models.CASCADE
    )
    member = models.ForeignKey(
        Member, verbose_name="成员", null=True, blank=True, on_delete=models.CASCADE
    )
    kind = models.CharField("财产类型", max_length=20, choices=Kind.choices)
    vehicle_kind = models.CharField(
        "车辆类型", max_length=30, choices=VehicleKind.choices, blank=True, default=""
    )
    value = models.DecimalField("金额/价值（元）", max_digits=12, decimal_places=2, default=0)
    recent_purchase = models.BooleanField("近一年内购置", default=False)
    employs_others = models.BooleanField("雇佣他人", default=False)
    note = models.CharField("说明", max_length=200, blank=True)
    # 信息比对 rows are written by the data-match findings, never by the declaration forms.
    source = models.CharField(
        "来源", max_length=20, choices=Income.Source.choices, default=Income.Source.DECLARED
    )

    class Meta:
        verbose_name = "财产"
        verbose_name_plural = "财产"
        ordering = ["household_id", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.value}"


class Expense(models.Model):
    """Rigid spending of the last 12 months (支出型困难)."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", "医疗自付"
        EDUCATION = "education", "教育"
        REHABILITATION = "rehabilitation", "康复"
        DISASTER = "disaster", "灾害/意外"

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="expenses", on_delete=models.CASCADE
    )
    kind = models.CharField("支出类型", max_length=20, choices=Kind.choices)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "刚性支出"
        verbose_name_plural = "刚性支出"
        ordering = ["household_id", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class PriorityGroup(models.IntegerChoices):
    HARDSHIP = 1, "①城乡困难家庭"
    MONITORING = 2, "②未消除风险的监测户"
    TUOPIN_2021 = 3, "③2021年底人均纯收入1万元以下脱贫户"
    TUOPIN_2022 = 4, "④2022年预估人均纯收入未达1万元脱贫户"
    MARGINAL = 5, "⑤低保边缘家庭"
    EXPENDITURE = 6, "⑥支出型困难家庭"
    ILLNESS_DISABILITY = 7, "⑦因残因病因学因灾困难家庭"
    ELDERLY_ALONE = 8, "⑧赡养人外出的农村独居老人"
    COVID = 9, "⑨受疫情影响无法务工家庭"
    SINGLE_EARNER = 10, "⑩单一劳动力外出务工未扣就业成本"
    OUTREACH_MISSED = 11, "⑪宣传发现不到位的困难家庭"
    PETITION = 12, "⑫多次因低保信访家庭"


class PriorityGroupRecord(models.Model):
    """A priority group recorded by an officer, with the evidence."""

    household = models.ForeignKey(
        Household, verbose_name="家庭", related_name="group_records", on_delete=models.CASCADE
    )
    group = models.PositiveSmallIntegerField("重点人群类别", choices=PriorityGroup.choices)
    evidence = models.CharField("依据", max_length=300, blank=True)

    class Meta:
        verbose_name = "重点人群登记"
        verbose_name_plural = "重点人群登记"
        constraints = [
            models.UniqueConstraint(fields=["household", "group"], name="uniq_household_group")
        ]

    def __str__(self):
        return self.get_group_display()
