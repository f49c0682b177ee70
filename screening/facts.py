"""What the screening rules read and return: labels, the policy, the facts, the verdict.

Frozen dataclasses and constants only; screening.rules holds the rules themselves and
re-exports every name here, so `from screening.rules import ...` keeps working.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum, StrEnum
from pathlib import Path


def _ruleset_version() -> str:
    """The rule set's version, derived from the sources of both screening paths.

    Any change to the facts, the rules or their SQL form gives a new version, so stored
    verdicts (whose fingerprints include it) are re-screened: it can never be forgotten.
    """
    digest = hashlib.blake2b(digest_size=4)
    for name in ("facts.py", "rules.py", "setbased.py"):
        digest.update((Path(__file__).with_name(name)).read_bytes())
    return f"2022.{digest.hexdigest()}"


RULESET_VERSION = _ruleset_version()
MONTHS_PER_YEAR = 12
CENT = Decimal("0.01")
SEED = "洗府发〔2022〕156号"
N2021 = "《最低生活保障审核确认办法》"
N2022 = "《关于进一步做好最低生活保障等社会救助兜底工作的通知》(2022)"
NTK = "《特困人员认定办法》"
CQ2017 = "《重庆市最低生活保障条件认定办法》(渝府办发〔2017〕33号)"


class Outcome(StrEnum):
    DIBAO = "dibao"
    MARGINAL = "marginal"
    NOT_ELIGIBLE = "not_eligible"
    MANUAL_REVIEW = "manual_review"


OUTCOME_LABELS = {
    Outcome.DIBAO: "低保",
    Outcome.MARGINAL: "低保边缘",
    Outcome.NOT_ELIGIBLE: "不符合",
    Outcome.MANUAL_REVIEW: "需人工复核",
}


WAGE = "wage"
IMPUTED = "imputed"
DATA_MATCH = "data_match"
# A wage the 信息比对 found without an amount (公积金 paid, no wage declared): written as a
# 信息比对 wage line of 0 元. It marks the member as working; the amount is not known, so the
# rules send the household to 需人工复核 (screening.rules._unmeasured_wage_flags) instead of
# presuming a figure.
UNMEASURED_WAGE_AMOUNT = Decimal("0")
SINGLE_PERSON = "single_person_dibao"

# Whose wages the employment-cost deduction applies to (rules.md §1.2: uncertain, so the
# campaign chooses). "all" is every wage earner, as the rules did before the choice existed.
ALL_WAGE_EARNERS = "all"
WORKING_AWAY = "away"
SOLE_EARNER_AWAY = "sole_away"
EMPLOYMENT_COST_SCOPE_LABELS = {
    ALL_WAGE_EARNERS: "所有有工资性收入的成员",
    WORKING_AWAY: "外出务工的成员",
    SOLE_EARNER_AWAY: "仅在外务工的家庭唯一劳动力",
}
# Work capacities that count as able to work (the record's own words, never inferred).
ABLE_WORK_CAPACITIES = frozenset({"full", "partial"})
WORK_CAPACITY_LABELS = {"full": "有劳动能力", "partial": "部分丧失劳动能力", "none": "无劳动能力"}

COUNTED_INCOME_KIND_LABELS = {
    WAGE: "工资性收入",
    "operating": "经营净收入",
    "property": "财产净收入",
    "transfer_support": "赡养（抚养、扶养）费",
    "pension": "养老金（基础养老金以外）",
    "other_transfer": "其他转移净收入",
    "other": "其他应计入收入",
}
# 《最低生活保障审核确认办法》第十三条; 高龄津贴 and 残疾人两项补贴 are [I], pending Chongqing.
EXCLUDED_INCOME_KIND_LABELS = {
    "basic_pension": "城乡居民基础养老金",
    "veterans_benefit": "优待抚恤金",
    "family_planning_award": "计划生育奖励扶助金",
    "scholarship": "奖学金",
    "heroism_award": "见义勇为等奖励性补助",
    "social_assistance": "社会救助款物",
    "elderly_allowance": "高龄津贴",
    "disability_subsidy": "残疾人两项补贴",
}
INCOME_KIND_LABELS = COUNTED_INCOME_KIND_LABELS | EXCLUDED_INCOME_KIND_LABELS
DEFAULT_EXCLUDED_INCOME_KINDS = frozenset(EXCLUDED_INCOME_KIND_LABELS)
INCOME_SOURCE_LABELS = {"declared": "申报", DATA_MATCH: "信息比对", IMPUTED: "推算"}
# 《最低生活保障审核确认办法》第七条
MEMBER_EXCLUSION_LABELS = {
    "clergy_3y": "宗教教职人员连续三年以上脱离家庭",
    "prison": "服刑",
    "drug_rehab": "强制隔离戒毒",
    "missing": "宣告失踪",
    "other": "其他，注明",
}
VEHICLE_KIND_LABELS = {
    "car": "小汽车",
    "truck": "货车",
    "motorcycle": "摩托车",
    "tricycle": "三轮车",
    "disabled_mobility": "残疾人代步车",
    "farm_machinery_large": "大型农机具",
    "boat": "船舶",
}
DEFAULT_EXEMPT_VEHICLE_KINDS = frozenset({"motorcycle", "tricycle", "disabled_mobility"})
DISABILITY_LABELS = {
    "physical": "肢体",
    "visual": "视力",
    "hearing": "听力",
    "speech": "言语",
    "intellectual": "智力",
    "psychiatric": "精神",
    "multiple": "多重",
}
DISABILITY_KINDS = frozenset(DISABILITY_LABELS)
WORK_CAPACITIES = frozenset(WORK_CAPACITY_LABELS)
# 《特困人员认定办法》第五条: disability kind -> worst grade number that still means no work capacity.
NO_WORK_CAPACITY_GRADES = {"intellectual": 3, "psychiatric": 3, "physical": 2, "visual": 1}

PRIORITY_GROUP_LABELS = {
    1: "城乡困难家庭",
    2: "未消除风险的监测户",
    3: "2021年底人均纯收入1万元以下脱贫户",
    4: "2022年预估人均纯收入未达1万元的脱贫户",
    5: "低保边缘家庭",
    6: "支出型困难家庭",
    7: "因残因病因学因灾困难家庭",
    8: "赡养人外出务工的农村独居老年人",
    9: "受新冠疫情影响无法务工就业的家庭",
    10: "单一劳动力在外务工未扣除就业成本的家庭",
    11: "宣传发现不到位的困难家庭",
    12: "多次因低保信访的家庭",
}
RECORDED_ONLY_GROUPS = frozenset({1, 9, 11})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _yuan(value: Decimal) -> str:
    """Format money as the forms do: 5,800.00."""
    return f"{value.quantize(CENT, ROUND_HALF_UP):,.2f}"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CampaignPolicy:
    """Campaign numbers, read from the Campaign row; never literals in rules."""

    dibao_standard_annual: Decimal
    marginal_multiplier: Decimal
    tuopin_income_screen: Decimal
    employment_cost_rate: Decimal
    income_period_months: int  # window the data layer picks incomes from; shown in Computation
    minimum_wage_monthly: Decimal
    near_line_band: Decimal
    financial_assets_multiplier: Decimal
    house_count_limit: int
    rigid_expense_share: Decimal
    expenditure_income_ceiling: Decimal
    petition_threshold: int
    lookback_since: date
    single_person_since: date
    covid_months_without_income: int
    elderly_age: int
    as_of: date
    exempt_vehicle_kinds: frozenset[str] = DEFAULT_EXEMPT_VEHICLE_KINDS
    excluded_income_kinds: frozenset[str] = DEFAULT_EXCLUDED_INCOME_KINDS
    child_age: int = 16  # 《特困人员认定办法》第五条: under 16 has no work capacity
    benefit_rounding: str = "yuan"  # the monthly benefit's unit: yuan / jiao / fen (benefit.py)
    employment_cost_scope: str = ALL_WAGE_EARNERS

    def __post_init__(self) -> None:
        _require(self.dibao_standard_annual > 0, "低保标准必须大于0")
        _require(
            self.employment_cost_scope in EMPLOYMENT_COST_SCOPE_LABELS,
            f"未知的就业成本扣减范围：{self.employment_cost_scope}",
        )
        _require(self.marginal_multiplier > 1, "边缘倍数必须大于1")
        _require(0 <= self.employment_cost_rate < 1, "就业成本扣减比例必须在0与1之间")
        _require(self.income_period_months >= 1, "收入计算期至少1个月")

    @property
    def marginal_line(self) -> Decimal:
        return _cent(self.dibao_standard_annual * self.marginal_multiplier)

    @classmethod
    def default_2022(cls) -> CampaignPolicy:
        """Return the 2022 洗新乡 figures for tests; [I] values await 县民政局 confirmation."""
        return cls(
            dibao_standard_annual=Decimal("6972"),
            marginal_multiplier=Decimal("1.5"),
            tuopin_income_screen=Decimal("10000"),
            employment_cost_rate=Decimal("0.30"),
            income_period_months=12,
            minimum_wage_monthly=Decimal("2000"),
            near_line_band=Decimal("500"),
            financial_assets_multiplier=Decimal("3"),
            house_count_limit=2,
            rigid_expense_share=Decimal("0.60"),
            expenditure_income_ceiling=Decimal("10458"),
            petition_threshold=2,
            lookback_since=date(2021, 1, 1),
            single_person_since=date(2021, 1, 1),
            covid_months_without_income=3,
            elderly_age=60,
            as_of=date(2022, 10, 25),
        )


@dataclass(frozen=True, slots=True)
class MemberFacts:
    key: str
    name: str
    relation: str = ""
    co_resident: bool = True
    exclusion_reason: str | None = None
    birth_date: date | None = None
    chongqing_hukou: bool = True
    disability_kind: str | None = None
    disability_grade: int | None = None
    serious_illness: bool = False
    student: bool = False
    work_capacity: str = "full"
    employed: bool = False
    works_away: bool = False
    stable_employment_no_proof: bool = False
    unemployed_due_to_covid: bool = False
    months_without_income: int = 0
    lives_alone: bool = False
    has_able_supporter: bool | None = None
    supporters_work_away: bool = False
    on_dibao: bool = False
    dibao_single_person: bool = False
    dibao_start: date | None = None
    on_marginal: bool = False
    is_extreme_poverty: bool = False
    exclusion_note: str = ""

    def __post_init__(self) -> None:
        _require(
            self.exclusion_reason is None or self.exclusion_reason in MEMBER_EXCLUSION_LABELS,
            f"未知的成员排除原因：{self.exclusion_reason}",
        )
        _require(self.work_capacity in WORK_CAPACITIES, f"未知的劳动能力：{self.work_capacity}")
        _require(
            self.disability_kind is None or self.disability_kind in DISABILITY_KINDS,
            f"未知的残疾类别：{self.disability_kind}",
        )
        _require(self.disability_grade in (None, 1, 2, 3, 4), "残疾等级必须为1至4级")


@dataclass(frozen=True, slots=True)
class IncomeFacts:
    key: str
    member_key: str | None
    kind: str
    amount: Decimal
    period_months: int = 12
    source: str = "declared"

    def __post_init__(self) -> None:
        _require(isinstance(self.amount, Decimal), "收入金额必须为Decimal")
        _require(self.kind in INCOME_KIND_LABELS, f"未知的收入类别：{self.kind}")
        _require(self.source in INCOME_SOURCE_LABELS, f"未知的收入来源：{self.source}")
        _require(self.period_months >= 1, "收入所属期至少1个月")

    @property
    def annual_amount(self) -> Decimal:
        """Annualise: amount × 12 / months the amount covers."""
        return _cent(self.amount * MONTHS_PER_YEAR / self.period_months)


@dataclass(frozen=True, slots=True)
class AssetFacts:
    financial_assets: Decimal = Decimal("0")
    vehicle_kinds: tuple[str, ...] = ()
    house_count: int = 0
    recent_house_purchase: bool = False
    non_residential_property: bool = False
    business_registrations: int = 0
    employs_others: bool = False
    high_fee_schooling: bool = False
    high_consumption: bool = False


@dataclass(frozen=True, slots=True)
class HouseholdFacts:
    key: str
    members: tuple[MemberFacts, ...]
    incomes: tuple[IncomeFacts, ...] = ()
    assets: AssetFacts = AssetFacts()
    rigid_expenses: Decimal = Decimal("0")
    disaster_loss: bool = False
    is_monitoring: bool = False
    risk_cleared: bool = False
    is_tuopin: bool = False
    tuopin_net_income_2021: Decimal | None = None
    tuopin_net_income_2022_estimate: Decimal | None = None
    dibao_petition_count: int = 0
    recorded_groups: frozenset[int] = frozenset()
    dibao_exit_dates: tuple[date, ...] = ()
    refused_application_dates: tuple[date, ...] = ()
    currently_marginal: bool = False

    def __post_init__(self) -> None:
        keys = [m.key for m in self.members]
        _require(len(keys) == len(set(keys)), "家庭成员编号重复")
        _require(len({i.key for i in self.incomes}) == len(self.incomes), "收入编号重复")
        for income in self.incomes:
            _require(
                income.member_key is None or income.member_key in keys,
                f"收入 {income.key} 指向不存在的成员 {income.member_key}",
            )
        _require(self.recorded_groups <= PRIORITY_GROUP_LABELS.keys(), "未知的重点人群类别")


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    clause: str
    numbers: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Flag(Reason):
    blocking: bool = False


@dataclass(frozen=True, slots=True)
class MemberLine:
    key: str
    name: str
    counted: bool
    reason: str | None = None
    reason_label: str | None = None


@dataclass(frozen=True, slots=True)
class IncomeLine:
    key: str
    member_key: str | None
    kind: str
    source: str
    amount: Decimal
    period_months: int
    annual_amount: Decimal
    counted: bool
    reason: str | None = None
    reason_label: str | None = None


@dataclass(frozen=True, slots=True)
class Computation:
    """The arithmetic behind a verdict, in the order a review meeting reads it."""

    members: tuple[MemberLine, ...]
    incomes: tuple[IncomeLine, ...]
    wage_gross: Decimal
    employment_cost_rate: Decimal
    employment_cost_deduction: Decimal
    total_annual_income: Decimal
    member_count: int
    income_period_months: int
    # The wages the rate applied to under the campaign's scope, and whose they were.
    employment_cost_scope: str = ALL_WAGE_EARNERS
    employment_cost_base: Decimal = Decimal("0")
    employment_cost_members: tuple[str, ...] = ()

    @property
    def members_counted(self) -> tuple[MemberLine, ...]:
        return tuple(m for m in self.members if m.counted)

    @property
    def members_excluded(self) -> tuple[MemberLine, ...]:
        return tuple(m for m in self.members if not m.counted)

    @property
    def imputed_incomes(self) -> tuple[IncomeLine, ...]:
        return tuple(i for i in self.incomes if i.source == IMPUTED)

    @classmethod
    def from_dict(cls, data: dict) -> Computation:
        money = ("amount", "annual_amount")
        return cls(
            members=tuple(MemberLine(**m) for m in data["members"]),
            incomes=tuple(
                IncomeLine(**{**i, **{k: Decimal(i[k]) for k in money}}) for i in data["incomes"]
            ),
            wage_gross=Decimal(data["wage_gross"]),
            employment_cost_rate=Decimal(data["employment_cost_rate"]),
            employment_cost_deduction=Decimal(data["employment_cost_deduction"]),
            total_annual_income=Decimal(data["total_annual_income"]),
            member_count=data["member_count"],
            income_period_months=data["income_period_months"],
            # Verdicts stored before the scope existed deducted from every wage.
            employment_cost_scope=data.get("employment_cost_scope", ALL_WAGE_EARNERS),
            employment_cost_base=Decimal(data.get("employment_cost_base", data["wage_gross"])),
            employment_cost_members=tuple(data.get("employment_cost_members", ())),
        )


def _json(value):
    if is_dataclass(value):
        return {f.name: _json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | date):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    per_capita_income: Decimal | None  # None only when no member is counted
    computation: Computation
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...]
    priority_groups: frozenset[int]
    lookback: bool
    extreme_poverty_candidates: tuple[str, ...]
    near_line: bool
    monthly_amount: Decimal | None
    ruleset_version: str = RULESET_VERSION

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS[self.outcome]

    def to_dict(self) -> dict:
        """Return a JSON-safe dict; Decimals become strings."""
        return _json(self)

    @classmethod
    def from_dict(cls, data: dict) -> Verdict:
        optional = {
            k: data[k] and Decimal(data[k]) for k in ("per_capita_income", "monthly_amount")
        }
        return cls(
            outcome=Outcome(data["outcome"]),
            computation=Computation.from_dict(data["computation"]),
            reasons=tuple(Reason(**r) for r in data["reasons"]),
            flags=tuple(Flag(**f) for f in data["flags"]),
            priority_groups=frozenset(data["priority_groups"]),
            lookback=data["lookback"],
            extreme_poverty_candidates=tuple(data["extreme_poverty_candidates"]),
            near_line=data["near_line"],
            ruleset_version=data["ruleset_version"],
            **optional,
        )
