"""The assistance register: who receives 低保, 低保边缘 or 特困, from when, and past applications.

One definition for each question the campaign asks of the register (issue 16 point 4):
- current: a record with no end date;
- active on a day: started on or before it and not ended by it (`end_date` is the first day
  without assistance), which is also how screening reads a member's status;
- 回头看 (洗府发〔2022〕156号 三(一)): a 低保 record that ended since the campaign's look-back date,
  or a 低保 / 低保边缘 application refused since then (the decision date, else the application date);
- the end-2021 baseline computed from the register: 低保 records active on the day before the
  campaign year starts.
The screening SQL path (screening/setbased.py) states the same 回头看 clause in SQL over the same
constants; tests/screening/test_setbased.py keeps the two equal.

Validation (`spell_errors`, `application_errors`) is shared by the web forms and both imports.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from .models import Application, AssistanceRecord, Household

Kind = AssistanceRecord.Kind
DIBAO_KINDS = (Kind.DIBAO, Kind.DIBAO_SINGLE)
CURRENT_KINDS = (Kind.DIBAO, Kind.DIBAO_SINGLE, Kind.MARGINAL)  # 在册对象 of a campaign
LOOKBACK_REFUSAL_KINDS = (Kind.DIBAO, Kind.DIBAO_SINGLE, Kind.MARGINAL)
KIND_LABELS = dict(Kind.choices)
# What a person's record holds, and an application (forms, imports and services use these).
RECORD_FIELDS = (
    "kind",
    "start_date",
    "end_date",
    "exit_reason",
    "exit_note",
    "monthly_amount",
    "people_covered",
    "single_person_basis",
)
APPLICATION_FIELDS = ("kind", "applied_on", "outcome", "decided_on", "reason")


class RegisterError(ValueError):
    """A register write refused; `errors` is [(field, Chinese message), ...]."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__("；".join(message for _, message in errors))
        self.errors = errors


# ---- definitions --------------------------------------------------------------------------


def active_on(day: date, prefix: str = "") -> Q:
    """Records active on `day` (start ≤ day < end)."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gt": day})
    )


def current_records() -> QuerySet:
    return AssistanceRecord.objects.filter(end_date__isnull=True)


def baseline_day(campaign) -> date:
    """The day the end-of-previous-year baseline describes (2021-12-31 for the 2022 campaign)."""
    return date(campaign.year, 1, 1) - timedelta(days=1)


def lookback_exits(*, since: date, until: date) -> QuerySet:
    """低保 records that ended between `since` and `until` (回头看 (a))."""
    return AssistanceRecord.objects.filter(
        kind__in=DIBAO_KINDS, end_date__gte=since, end_date__lte=until
    )


def lookback_refusals(*, since: date) -> QuerySet:
    """低保 or 边缘 applications refused since `since` (回头看 (b)), with `refused_on`."""
    return (
        Application.objects.filter(
            kind__in=LOOKBACK_REFUSAL_KINDS, outcome=Application.Outcome.REFUSED
        )
        .annotate(refused_on=Coalesce("decided_on", "applied_on"))
        .filter(refused_on__gte=since)
    )


def lookback_conditions(campaign, today: date, outer: str = "pk") -> dict[str, Exists]:
    """Exists() expressions for a household queryset: {'lookback_exit': …, 'lookback_refused': …}."""
    exits = lookback_exits(since=campaign.lookback_since, until=today)
    refusals = lookback_refusals(since=campaign.lookback_since)
    return {
        "lookback_exit": Exists(exits.filter(member__household=OuterRef(outer))),
        "lookback_refused": Exists(refusals.filter(household=OuterRef(outer))),
    }


def lookback_household_ids(campaign, today: date, households=None) -> set[int]:
    """Ids of the campaign township's households that 回头看 must re-examine."""
    qs = Household.objects.all() if households is None else households
    qs = qs.filter(village__township_id=campaign.township_id)
    exits = lookback_exits(since=campaign.lookback_since, until=today).filter(
        member__household__in=qs
    )
    refusals = lookback_refusals(since=campaign.lookback_since).filter(household__in=qs)
    return set(exits.values_list("member__household_id", flat=True)) | set(
        refusals.values_list("household_id", flat=True)
    )


def campaign_additions(campaign) -> QuerySet:
    """Records this campaign's county confirmations opened (the 本次新增 roster)."""
    return AssistanceRecord.objects.filter(campaign=campaign)


# ---- validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spell:
    kind: str
    start_date: date
    end_date: date | None
    pk: int | None = None

    def overlaps(self, other: "Spell") -> bool:
        far = date.max
        return self.start_date < (other.end_date or far) and other.start_date < (
            self.end_date or far
        )

    def describe(self) -> str:
        until = f"至{self.end_date:%Y-%m-%d}" if self.end_date else "起，未终止"
        return f"“{KIND_LABELS.get(self.kind, self.kind)}”（{self.start_date:%Y-%m-%d}{until}）"


def spell_errors(
    *,
    kind: str,
    start_date: date | None,
    end_date: date | None = None,
    exit_reason: str = "",
    exit_note: str = "",
    monthly_amount: Decimal | None = None,
    people_covered: int | None = None,
    others: Iterable[Spell] = (),
    today: date,
    allow_future_start: bool = False,
) -> list[tuple[str, str]]:
    """Every problem with one record, as (field, message); [] when it may be saved.

    `others` are the same person's other records: 低保 (整户 or 单人户), 低保边缘 and 特困 are
    mutually exclusive, so no two of them may overlap in time.
    """
    errors: list[tuple[str, str]] = []
    if kind not in KIND_LABELS:
        errors.append(("kind", "请选择救助类别。"))
    if start_date is None:
        errors.append(("start_date", "请填写起始日期。"))
    elif start_date > today and not allow_future_start:
        errors.append(
            ("start_date", f"起始日期 {start_date:%Y-%m-%d} 晚于今天，不能登记将来的救助。")
        )
    if end_date is not None and start_date is not None and end_date < start_date:
        errors.append(("end_date", "终止日期不能早于起始日期。"))
    if end_date is not None and end_date > today:
        errors.append(
            ("end_date", f"终止日期 {end_date:%Y-%m-%d} 晚于今天，请在实际终止后再登记。")
        )
    if end_date is not None and not exit_reason:
        errors.append(("exit_reason", "有终止日期的记录须选择退出原因。"))
    if exit_reason and end_date is None:
        errors.append(("end_date", "选择了退出原因，请同时填写终止日期。"))
    if exit_reason == AssistanceRecord.ExitReason.OTHER and not exit_note.strip():
        errors.append(("exit_note", "退出原因为“其他”时，请写明具体原因。"))
    if monthly_amount is not None and monthly_amount < 0:
        errors.append(("monthly_amount", "月保障金不能为负数。"))
    if people_covered is not None and people_covered < 1:
        errors.append(("people_covered", "保障人数至少为 1 人。"))
    if start_date is not None and kind in KIND_LABELS and not errors:
        mine = Spell(kind, start_date, end_date)
        for other in others:
            if mine.overlaps(other):
                errors.append(
                    (
                        "start_date",
                        f"与该成员已有的{other.describe()}记录时间重叠：低保、低保边缘、特困"
                        "不能同时享受，请先终止原记录或核对日期。",
                    )
                )
                break
    return errors


def shares(household_amount: Decimal | None, people: int) -> list[Decimal | None]:
    """A household's monthly amount as each person's share (元/人, to the fen) adding up to it.

    The register holds shares, the 公示 and the decision the household amount: 793 元 for three
    people is 264.34 + 264.33 + 264.33, never 3 × 264.33 = 792.99. The first persons take the
    odd fen.
    """
    if household_amount is None or people < 1:
        return [household_amount] * people
    fen = int((Decimal(household_amount) * 100).to_integral_value())
    base, extra = divmod(fen, people)
    return [Decimal(base + (i < extra)).scaleb(-2) for i in range(people)]


def spells_of(member_id: int, *, exclude_pk: int | None = None) -> list[Spell]:
    qs = AssistanceRecord.objects.filter(member_id=member_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return [
        Spell(k, s, e, pk) for pk, k, s, e in qs.values_list("pk", "kind", "start_date", "end_date")
    ]


def application_errors(
    *,
    kind: str,
    applied_on: date | None,
    outcome: str,
    decided_on: date | None,
    reason: str,
    today: date,
) -> list[tuple[str, str]]:
    errors: list[tuple[str, str]] = []
    if kind not in KIND_LABELS:
        errors.append(("kind", "请选择申请类别。"))
    if applied_on is None:
        errors.append(("applied_on", "请填写申请日期。"))
    elif applied_on > today:
        errors.append(("applied_on", "申请日期不能晚于今天。"))
    if outcome not in Application.Outcome.values:
        errors.append(("outcome", "请选择办理结果。"))
    if decided_on is not None:
        if applied_on is not None and decided_on < applied_on:
            errors.append(("decided_on", "决定日期不能早于申请日期。"))
        if decided_on > today:
            errors.append(("decided_on", "决定日期不能晚于今天。"))
    if outcome == Application.Outcome.REFUSED and not (reason or "").strip():
        errors.append(("reason", "未通过的申请请写明原因（回头看需要）。"))
    return errors
