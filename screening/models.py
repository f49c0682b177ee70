"""Screening results: one verdict per household and run, kept with the rules and numbers used."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from xixin_dibao import clock

from .rules import OUTCOME_LABELS, Outcome

OUTCOME_CHOICES = [(o.value, OUTCOME_LABELS[o]) for o in Outcome]


class ScreeningRun(models.Model):
    """One bulk screening of a village or the whole campaign (one audit entry each)."""

    class Scope(models.TextChoices):
        ALL = "all", "全乡"
        VILLAGE = "village", "单个村"
        HOUSEHOLDS = "households", "指定家庭"

    campaign = models.ForeignKey(
        "households.Campaign",
        verbose_name="工作方案",
        related_name="screening_runs",
        on_delete=models.PROTECT,
    )
    scope = models.CharField("范围", max_length=12, choices=Scope.choices, default=Scope.ALL)
    village = models.ForeignKey(
        "households.Village", verbose_name="村", null=True, blank=True, on_delete=models.PROTECT
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="发起人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    job = models.ForeignKey(
        "xixin_dibao.Job",
        verbose_name="后台任务",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    forced = models.BooleanField("全部重新计算", default=False)
    as_of = models.DateField("研判基准日")
    ruleset_version = models.CharField("规则版本", max_length=20)
    params = models.JSONField("政策参数快照", default=dict)
    started_at = models.DateTimeField("开始时间", default=clock.now)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    household_count = models.PositiveIntegerField("研判户数", default=0)
    evaluated_count = models.PositiveIntegerField("重新计算户数", default=0)
    changed_count = models.PositiveIntegerField("结论变化户数", default=0)
    outcome_counts = models.JSONField("各结论户数", default=dict)

    class Meta:
        verbose_name = "研判批次"
        verbose_name_plural = "研判批次"
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.scope_label} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def scope_label(self) -> str:
        if self.scope == self.Scope.VILLAGE and self.village_id:
            return self.village.name
        return self.get_scope_display()


class ScreeningResultQuerySet(models.QuerySet):
    def current(self, campaign):
        return self.filter(campaign=campaign, is_current=True)

    def for_user(self, user, *, township_id: int | None = None):
        """Results of the households `user` may see (the registry's scoping rule).

        `township_id`: every result in this queryset lies in that township (one campaign's). A
        user who sees the whole township then needs no per-household check, which would
        otherwise join every result of the township to the registry on each queue page.
        """
        from households.models import Household

        whole_township = user.is_superuser or (
            user.role != "village_officer" and user.township_id in (None, township_id)
        )
        if township_id is not None and whole_township and user.is_authenticated:
            return self
        return self.filter(household__in=Household.objects.for_user(user))


class ScreeningResult(models.Model):
    """A household's verdict: stored with the rule-set version and the parameters used."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name="家庭",
        related_name="screening_results",
        on_delete=models.CASCADE,
    )
    campaign = models.ForeignKey(
        "households.Campaign",
        verbose_name="工作方案",
        related_name="screening_results",
        on_delete=models.PROTECT,
    )
    run = models.ForeignKey(
        ScreeningRun,
        verbose_name="研判批次",
        related_name="results",
        null=True,
        blank=True,
        # The run holds its verdicts' policy snapshot (ScreeningResult.policy_params).
        on_delete=models.PROTECT,
    )
    outcome = models.CharField("研判结论", max_length=20, choices=OUTCOME_CHOICES)
    per_capita_income = models.DecimalField(
        "人均年收入（元）", max_digits=12, decimal_places=2, null=True, blank=True
    )
    member_count = models.PositiveSmallIntegerField("计入人数", default=0)
    monthly_amount = models.DecimalField(
        "测算月保障金（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    near_line = models.BooleanField("临界", default=False)
    lookback = models.BooleanField("回头看对象", default=False)
    flags = models.JSONField("需复核事项", default=list, blank=True)
    # ",code1,code2," so that `flag_codes__contains=",code,"` filters on every database.
    flag_codes = models.CharField("需复核事项代码", max_length=500, blank=True, default="")
    priority_groups = models.JSONField("重点人群", default=list, blank=True)
    group_codes = models.CharField("重点人群代码", max_length=60, blank=True, default="")
    changed = models.BooleanField("结论有变化", default=False)
    previous_outcome = models.CharField(
        "上次结论", max_length=20, choices=OUTCOME_CHOICES, blank=True, default=""
    )
    ruleset_version = models.CharField("规则版本", max_length=20)
    as_of = models.DateField("研判基准日")
    params = models.JSONField("政策参数快照", default=dict)
    data = models.JSONField("研判明细", default=dict)
    fingerprint = models.CharField("输入摘要", max_length=40, blank=True, default="")
    is_current = models.BooleanField("当前结果", default=True)
    created_at = models.DateTimeField("研判时间", default=clock.now)
    # The household's village and household codes when it was screened: the queue's default
    # order without joining the registry. Part of the screening fingerprint, so a changed code
    # makes a new current result.
    village_code = models.CharField("村代码", max_length=15, blank=True, default="")
    household_code = models.CharField("户编号", max_length=30, blank=True, default="")

    objects = ScreeningResultQuerySet.as_manager()

    class Meta:
        verbose_name = "研判结果"
        verbose_name_plural = "研判结果"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "is_current", "outcome"]),
            models.Index(fields=["household", "campaign", "is_current"]),
            models.Index(
                fields=["campaign", "village_code", "household_code"],
                condition=Q(is_current=True),
                name="screening_queue_order_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "campaign"],
                condition=Q(is_current=True),
                name="uniq_current_screening_result",
            )
        ]

    def __str__(self):
        return f"{self.household_id} {self.get_outcome_display()} {self.created_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("households:detail", args=[self.household_id])

    @property
    def policy_params(self) -> dict:
        """The policy snapshot the verdict was reached with. A run's verdicts share the run's
        snapshot (stored once on the run, not on each of 10⁵–10⁶ rows); a re-screen after a
        save has no run and stores its own."""
        if self.params:
            return self.params
        return self.run.params if self.run_id else {}

    @property
    def flag_list(self) -> list[str]:
        return [c for c in self.flag_codes.split(",") if c]

    @property
    def group_list(self) -> list[int]:
        return [int(c) for c in self.group_codes.split(",") if c]


class InputVersion(models.Model):
    """How many times a household's screening inputs have been written (PostgreSQL).

    Database triggers on the tables the set-based screening reads (members, incomes, assets,
    expenses, priority-group records, applications, assistance records) add one for every
    household a statement touches, whoever writes: forms, imports, COPY, the admin, raw SQL.
    Kept apart from HouseholdFacts so a writer never waits on a screening run, nor the reverse.
    """

    household_id = models.BigIntegerField("家庭", primary_key=True)
    version = models.BigIntegerField("写入次数", default=0)

    class Meta:
        verbose_name = "研判输入版本"
        verbose_name_plural = "研判输入版本"

    def __str__(self):
        return f"{self.household_id} v{self.version}"


class HouseholdFacts(models.Model):
    """Each household's aggregated screening inputs, as setbased computed them (PostgreSQL).

    A cache of the per-household sums and member facts the rules read, so a run over a county
    evaluates the rules for every household without aggregating every registry row again.
    A row stands only while all of these hold, otherwise the run recomputes it first:
    - `computed_version` equals the household's InputVersion (no write since);
    - `tag` equals the digest of the policy (without the date) and of the SQL that computed it;
    - the run's as-of date lies in [valid_from, valid_until): valid_until is the first later
      date on which a member comes of age for a rule or an assistance record starts or ends.
    The version is read in the same statement as the data, so a write that commits while the
    row is computed leaves it stale, never wrong. No foreign key: a cache row of a deleted
    household is never read.
    """

    household_id = models.BigIntegerField("家庭", primary_key=True)
    tag = models.CharField("政策与计算摘要", max_length=32)
    computed_version = models.BigIntegerField("计算时的输入版本")
    valid_from = models.DateField("适用起始日")
    valid_until = models.DateField("适用截止日（不含）", null=True)
    n = models.BigIntegerField("计入人数")
    n_dibao = models.BigIntegerField("计入成员中享受低保人数", null=True)
    workers = models.BigIntegerField("劳动力人数", null=True)
    facts = models.IntegerField("成员事实位")
    invalid = models.BooleanField("数据须人工核对")
    gross_fen = models.BigIntegerField("工资性收入（分）")
    income_fen = models.BigIntegerField("家庭收入（分）")
    away_fen = models.BigIntegerField("外出务工成员工资性收入（分）", default=0)
    financial = models.DecimalField("金融资产", max_digits=20, decimal_places=2)
    houses = models.BigIntegerField("房屋套数")
    asset_facts = models.IntegerField("资产事实位")
    rigid = models.DecimalField("刚性支出", max_digits=20, decimal_places=2)
    recorded = models.BigIntegerField("登记的重点人群位")
    lookback = models.BooleanField("回头看")

    class Meta:
        verbose_name = "研判输入汇总"
        verbose_name_plural = "研判输入汇总"

    def __str__(self):
        return f"{self.household_id} {self.tag} v{self.computed_version}"
