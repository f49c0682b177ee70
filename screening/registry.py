"""Read the registry into the rules' facts and the campaign into a policy, in bulk.

One query per table per chunk of households (values_list tuples, never model instances),
so screening 20 or 2,000 households costs the same number of queries.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from households import register
from households.models import (
    Application,
    Asset,
    AssistanceRecord,
    Expense,
    Household,
    Income,
    Member,
    PriorityGroupRecord,
)
from xixin_dibao import clock

from .rules import (
    DEFAULT_EXCLUDED_INCOME_KINDS,
    DEFAULT_EXEMPT_VEHICLE_KINDS,
    RULESET_VERSION,
    AssetFacts,
    CampaignPolicy,
    HouseholdFacts,
    IncomeFacts,
    MemberFacts,
)

# Households per chunk: a village or a whole township (≤ 10,000) is read in one pass, so screening
# 100 or 10,000 households issues the same queries; a county runs in chunks of this size.
CHUNK_SIZE = 10_000
CENT = Decimal("0.01")
# Bump when the mapping below changes meaning, so stored fingerprints stop matching.
FACTS_VERSION = "2"
DIBAO_KINDS = frozenset(register.DIBAO_KINDS)
LOOKBACK_REFUSAL_KINDS = frozenset(register.LOOKBACK_REFUSAL_KINDS)
FINANCIAL_KINDS = frozenset({Asset.Kind.DEPOSIT, Asset.Kind.SECURITIES})
# A vehicle registered without a kind is never exempt; the code doubles as its label.
UNSPECIFIED_VEHICLE = "未注明类型的车辆"

HOUSEHOLD_COLUMNS = (
    "id",
    "monitoring_type",
    "risk_cleared",
    "is_tuopin",
    "tuopin_net_income_2021",
    "tuopin_net_income_2022_estimate",
    "petition_count",
    "disaster_loss",
    "high_fee_schooling",
    "high_consumption",
    # Not facts: the queue's sort keys, stored on the result (and so part of the fingerprint).
    "village__code",
    "code",
)
MEMBER_COLUMNS = (
    "household_id",
    "id",
    "name",
    "relation",
    "exclusion",
    "exclusion_note",
    "birth_date",
    "chongqing_hukou",
    "disability_kind",
    "disability_grade",
    "serious_illness",
    "student_level",
    "work_capacity",
    "employed",
    "works_away",
    "stable_employment_no_proof",
    "unemployed_due_to_covid",
    "months_without_income",
    "lives_alone",
    "has_able_supporter",
    "supporters_work_away",
)
INCOME_COLUMNS = ("household_id", "id", "member_id", "kind", "amount", "period_months", "source")
ASSET_COLUMNS = (
    "household_id",
    "kind",
    "vehicle_kind",
    "value",
    "recent_purchase",
    "employs_others",
)

# Campaign fields copied one to one into CampaignPolicy.
_SAME_NAME = (
    "marginal_multiplier",
    "tuopin_income_screen",
    "employment_cost_rate",
    "employment_cost_scope",
    "income_period_months",
    "minimum_wage_monthly",
    "near_line_band",
    "financial_assets_multiplier",
    "house_count_limit",
    "rigid_expense_share",
    "expenditure_income_ceiling",
    "petition_threshold",
    "lookback_since",
    "single_person_since",
    "covid_months_without_income",
    "elderly_age",
    "benefit_rounding",
)


def policy_from_campaign(campaign, *, as_of: date, overrides: dict | None = None) -> CampaignPolicy:
    """Build the rules' policy from the campaign row; `overrides` replace fields by name.

    An empty vehicle or income-exclusion list on the campaign means the national defaults
    (《最低生活保障审核确认办法》第十三条), not "exempt nothing". `dibao_standard_monthly`
    is accepted as an override and converted to the annual figure. Raises ValueError (in Chinese)
    when the resulting numbers are invalid.
    """
    values = {name: getattr(campaign, name) for name in _SAME_NAME}
    values["dibao_standard_annual"] = (campaign.dibao_standard_monthly * 12).quantize(CENT)
    values["exempt_vehicle_kinds"] = frozenset(
        campaign.exempt_vehicle_kinds or DEFAULT_EXEMPT_VEHICLE_KINDS
    )
    values["excluded_income_kinds"] = frozenset(
        campaign.excluded_income_kinds or DEFAULT_EXCLUDED_INCOME_KINDS
    )
    policy = CampaignPolicy(as_of=as_of, **values)
    overrides = dict(overrides or {})
    monthly = overrides.pop("dibao_standard_monthly", None)
    if monthly is not None:
        overrides["dibao_standard_annual"] = (Decimal(monthly) * 12).quantize(CENT)
    return replace(policy, **overrides) if overrides else policy


def policy_to_dict(policy: CampaignPolicy) -> dict:
    """Return the policy as JSON-safe data: the snapshot stored with each verdict."""
    data = {}
    for f in fields(policy):
        value = getattr(policy, f.name)
        if isinstance(value, frozenset):
            value = sorted(value)
        elif isinstance(value, Decimal | date):
            value = str(value)
        data[f.name] = value
    data["marginal_line"] = str(policy.marginal_line)
    return data


_INT_FIELDS = frozenset(
    {
        "income_period_months",
        "house_count_limit",
        "petition_threshold",
        "covid_months_without_income",
        "elderly_age",
        "child_age",
    }
)
_DATE_FIELDS = frozenset({"lookback_since", "single_person_since", "as_of"})
_SET_FIELDS = frozenset({"exempt_vehicle_kinds", "excluded_income_kinds"})
_TEXT_FIELDS = frozenset({"benefit_rounding", "employment_cost_scope"})


def policy_from_dict(data: dict) -> CampaignPolicy:
    """The policy of a stored snapshot (policy_to_dict's output): explain a verdict with it."""
    values = {}
    for f in fields(CampaignPolicy):
        if f.name not in data:
            continue  # a field added since the snapshot keeps its default
        value = data[f.name]
        if f.name in _INT_FIELDS:
            value = int(value)
        elif f.name in _DATE_FIELDS:
            value = date.fromisoformat(value)
        elif f.name in _SET_FIELDS:
            value = frozenset(value)
        elif f.name in _TEXT_FIELDS:
            value = str(value)
        else:
            value = Decimal(value)
        values[f.name] = value
    return CampaignPolicy(**values)


def policy_key(policy_data: dict) -> str:
    """The part of every fingerprint that depends on the policy and the code versions."""
    return json.dumps([RULESET_VERSION, FACTS_VERSION, policy_data], sort_keys=True)


@dataclass(slots=True)
class Bundle:
    """The registry rows of one household, as loaded."""

    household: tuple
    members: list
    assistance: list
    refusals: list
    incomes: list
    assets: list
    expenses: list
    groups: list

    def fingerprint(self, key: str) -> str:
        """Digest of everything the verdict depends on: equal digest, equal verdict."""
        text = repr(
            (
                key,
                self.household,
                self.members,
                self.assistance,
                self.refusals,
                self.incomes,
                self.assets,
                self.expenses,
                self.groups,
            )
        )
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def chunked(ids: list[int], size: int | None = None) -> Iterator[list[int]]:
    size = size or CHUNK_SIZE
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def chunk_querysets(scope: QuerySet, ids: list[int]) -> Iterator[QuerySet]:
    """Split `scope` (households, ids sorted) into id ranges of CHUNK_SIZE households each.

    A range keeps each chunk's SQL to a couple of parameters, however many households it holds.
    """
    for chunk in chunked(ids):
        yield scope.filter(pk__gte=chunk[0], pk__lte=chunk[-1])


def load_bundles(households: QuerySet | Iterable[int], *, lock: bool = False) -> dict[int, Bundle]:
    """Load one chunk of households (a queryset or ids) with 8 queries, whatever its size.

    `lock` (inside a transaction) locks the household rows, so a bulk run and a save's
    re-screen of the same household take turns instead of both writing a current verdict.
    """
    if not isinstance(households, QuerySet):
        households = Household.objects.filter(pk__in=list(households))
    rows = households.order_by("pk")
    if lock:
        rows = rows.select_for_update(of=("self",))
    bundles = {
        row[0]: Bundle(row, [], [], [], [], [], [], [])
        for row in rows.values_list(*HOUSEHOLD_COLUMNS)
    }
    ids = households.order_by().values("pk")

    def attach(queryset, slot: str):
        for row in queryset:
            bundle = bundles.get(row[0])
            if bundle is not None:  # a household added to the scope since the first query
                getattr(bundle, slot).append(row[1:])

    attach(
        Member.objects.filter(household_id__in=ids)
        .order_by("household_id", "pk")
        .values_list(*MEMBER_COLUMNS),
        "members",
    )
    attach(
        AssistanceRecord.objects.filter(member__household_id__in=ids)
        .order_by("member__household_id", "pk")
        .values_list("member__household_id", "member_id", "kind", "start_date", "end_date"),
        "assistance",
    )
    attach(
        Application.objects.filter(
            household_id__in=ids,
            outcome=Application.Outcome.REFUSED,
            kind__in=LOOKBACK_REFUSAL_KINDS,
        )
        .order_by("household_id", "pk")
        .values_list("household_id", Coalesce("decided_on", "applied_on")),
        "refusals",
    )
    attach(
        Income.objects.filter(household_id__in=ids)
        .order_by("household_id", "pk")
        .values_list(*INCOME_COLUMNS),
        "incomes",
    )
    attach(
        Asset.objects.filter(household_id__in=ids)
        .order_by("household_id", "pk")
        .values_list(*ASSET_COLUMNS),
        "assets",
    )
    attach(
        Expense.objects.filter(household_id__in=ids)
        .order_by("household_id", "pk")
        .values_list("household_id", "amount"),
        "expenses",
    )
    attach(
        PriorityGroupRecord.objects.filter(household_id__in=ids)
        .order_by("household_id", "group")
        .values_list("household_id", "group"),
        "groups",
    )
    return bundles


def _on(start: date, end: date | None, as_of: date) -> bool:
    return start <= as_of and (end is None or end > as_of)


def _status(assistance: list, as_of: date) -> dict[int, dict]:
    """Each member's current 低保 / 边缘 / 特困 status on `as_of`."""
    status: dict[int, dict] = {}
    for member_id, kind, start, end in assistance:
        if not _on(start, end, as_of):
            continue
        s = status.setdefault(member_id, {})
        if kind in DIBAO_KINDS:
            s["on_dibao"] = True
            s["dibao_start"] = min(start, s.get("dibao_start", start))
            if kind == AssistanceRecord.Kind.DIBAO_SINGLE:
                s["dibao_single_person"] = True
        elif kind == AssistanceRecord.Kind.MARGINAL:
            s["on_marginal"] = True
        else:
            s["is_extreme_poverty"] = True
    return status


def _member(row: tuple, status: dict) -> MemberFacts:
    (
        member_id,
        name,
        relation,
        exclusion,
        exclusion_note,
        birth_date,
        chongqing_hukou,
        disability_kind,
        disability_grade,
        serious_illness,
        student_level,
        work_capacity,
        employed,
        works_away,
        no_proof,
        covid,
        months_without_income,
        lives_alone,
        has_able_supporter,
        supporters_work_away,
    ) = row
    return MemberFacts(
        key=str(member_id),
        name=name,
        relation=relation,
        exclusion_reason=exclusion or None,
        exclusion_note=exclusion_note,
        birth_date=birth_date,
        chongqing_hukou=chongqing_hukou,
        disability_kind=disability_kind or None,
        disability_grade=disability_grade,
        serious_illness=serious_illness,
        student=bool(student_level),
        work_capacity=work_capacity,
        employed=employed,
        works_away=works_away,
        stable_employment_no_proof=no_proof,
        unemployed_due_to_covid=covid,
        months_without_income=months_without_income,
        lives_alone=lives_alone,
        has_able_supporter=has_able_supporter,
        supporters_work_away=supporters_work_away,
        **status.get(member_id, {}),
    )


def _assets(rows: list, household: tuple) -> AssetFacts:
    financial, vehicles = Decimal("0"), []
    houses = recent = non_residential = business = employs = 0
    for kind, vehicle_kind, value, recent_purchase, employs_others in rows:
        if kind in FINANCIAL_KINDS:
            financial += value
        elif kind == Asset.Kind.VEHICLE:
            vehicles.append(vehicle_kind or UNSPECIFIED_VEHICLE)
        elif kind == Asset.Kind.HOUSE:
            houses += 1
            recent = recent or recent_purchase
        elif kind == Asset.Kind.NON_RESIDENTIAL:
            non_residential = True
        elif kind == Asset.Kind.BUSINESS:
            business += 1
        employs = employs or employs_others
    return AssetFacts(
        financial_assets=financial,
        vehicle_kinds=tuple(vehicles),
        house_count=houses,
        recent_house_purchase=bool(recent),
        non_residential_property=bool(non_residential),
        business_registrations=business,
        employs_others=bool(employs),
        high_fee_schooling=household[8],
        high_consumption=household[9],
    )


def facts_from_bundle(bundle: Bundle, as_of: date) -> HouseholdFacts:
    """Map one household's rows to HouseholdFacts; raises ValueError on impossible data."""
    h = bundle.household
    status = _status(bundle.assistance, as_of)
    members = tuple(_member(row, status) for row in bundle.members)
    keys = {m.key for m in members}
    incomes = tuple(
        IncomeFacts(
            key=str(income_id),
            member_key=str(member_id) if str(member_id) in keys else None,
            kind=kind,
            amount=amount,
            period_months=period_months,
            source=source,
        )
        for income_id, member_id, kind, amount, period_months, source in bundle.incomes
    )
    exits = {end for _, kind, _, end in bundle.assistance if kind in DIBAO_KINDS and end}
    return HouseholdFacts(
        key=str(h[0]),
        members=members,
        incomes=incomes,
        assets=_assets(bundle.assets, h),
        rigid_expenses=sum((amount for (amount,) in bundle.expenses), Decimal("0")),
        disaster_loss=h[7],
        is_monitoring=bool(h[1]),
        risk_cleared=h[2],
        is_tuopin=h[3],
        tuopin_net_income_2021=h[4],
        tuopin_net_income_2022_estimate=h[5],
        dibao_petition_count=h[6],
        recorded_groups=frozenset(group for (group,) in bundle.groups),
        dibao_exit_dates=tuple(sorted(d for d in exits if d <= as_of)),
        refused_application_dates=tuple(sorted({d for (d,) in bundle.refusals})),
        currently_marginal=any(m.on_marginal for m in members),
    )


def facts_for_households(
    household_ids: Iterable[int], *, as_of: date | None = None
) -> dict[int, HouseholdFacts]:
    """Return HouseholdFacts by household id (as of today unless given), 8 queries per chunk."""
    as_of = as_of or clock.today()
    result = {}
    for chunk in chunked(list(household_ids)):
        for pk, bundle in load_bundles(chunk).items():
            result[pk] = facts_from_bundle(bundle, as_of)
    return result
