"""Set-based screening on PostgreSQL: every household's verdict columns from one SQL statement.

`screening.rules` is the reference: it explains each verdict in full and screens single
households. A county or a municipality screens 10⁵–10⁶ households at once, where reading every
registry row into Python costs far more than the arithmetic; this module computes the same
columns (outcome, per-capita income, member count, monthly amount, near the line, 回头看, flag
and group codes) inside the database, from the same CampaignPolicy. It mirrors the rules clause
by clause, in the same order; `tests/screening/test_setbased.py` runs both on every household
of the demo data, a synthetic county and hand-made edge cases, and requires equal columns.

What the SQL does not mirror, it hands back: a household whose registry rows the rules would
refuse (unknown codes, a disability grade outside 1–4, an income period under one month) comes
back with `needs_reference` set, and the service screens it with the Python rules, which turn
the refusal into a manual-review verdict that names the bad value.

PostgreSQL only (exact NUMERIC arithmetic with the rules' half-up rounding to the cent); on
SQLite, where decimals are stored as floating point, the Python path screens.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from households.models import Application, Asset, AssistanceRecord

from .facts import (
    DISABILITY_KINDS,
    INCOME_KIND_LABELS,
    INCOME_SOURCE_LABELS,
    MEMBER_EXCLUSION_LABELS,
    MONTHS_PER_YEAR,
    NO_WORK_CAPACITY_GRADES,
    PRIORITY_GROUP_LABELS,
    RECORDED_ONLY_GROUPS,
    WAGE,
    WORK_CAPACITIES,
    CampaignPolicy,
    Outcome,
    _cent,
)
from .registry import DIBAO_KINDS, FINANCIAL_KINDS

# The columns each row of `verdict_rows` holds, in order.
COLUMNS = (
    "household_id",
    "village_code",
    "household_code",
    "outcome",
    "per_capita_income",
    "member_count",
    "monthly_amount",
    "near_line",
    "lookback",
    "flag_codes",
    "group_codes",
    "needs_reference",
    "township_id",
)


def available() -> bool:
    """Whether this database can screen set-based (PostgreSQL)."""
    return connection.vendor == "postgresql"


def born_by(as_of: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `as_of` (29 Feb → 28 Feb)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return date(as_of.year - years, 2, 28)


def _params(policy: CampaignPolicy) -> dict:
    std = policy.dibao_standard_annual
    return {
        "as_of": policy.as_of,
        # Born on or before this date: at least that old on as_of (screening.rules._age).
        "elderly_born_by": born_by(policy.as_of, policy.elderly_age),
        "child_born_by": born_by(policy.as_of, policy.child_age),
        "dibao_kinds": sorted(DIBAO_KINDS),
        "dibao_single": AssistanceRecord.Kind.DIBAO_SINGLE.value,
        "marginal_kind": AssistanceRecord.Kind.MARGINAL.value,
        "excluded_kinds": sorted(policy.excluded_income_kinds),
        "exempt_vehicles": sorted(policy.exempt_vehicle_kinds),
        "financial_kinds": sorted(FINANCIAL_KINDS),
        "vehicle": Asset.Kind.VEHICLE.value,
        "house": Asset.Kind.HOUSE.value,
        "non_residential": Asset.Kind.NON_RESIDENTIAL.value,
        "business": Asset.Kind.BUSINESS.value,
        "refused": Application.Outcome.REFUSED.value,
        "wage": WAGE,
        "std": std,
        "line": policy.marginal_line,
        "rate": policy.employment_cost_rate,
        "min_wage_annual": _cent(policy.minimum_wage_monthly * MONTHS_PER_YEAR),
        "financial_limit": _cent(policy.financial_assets_multiplier * std),
        "house_limit": policy.house_count_limit,
        "band": policy.near_line_band,
        "since": policy.lookback_since,
        "single_since": policy.single_person_since,
        "covid_months": policy.covid_months_without_income,
        "petitions": policy.petition_threshold,
        "tuopin_screen": policy.tuopin_income_screen,
        "ceiling": policy.expenditure_income_ceiling,
        "share": policy.rigid_expense_share,
        "months": MONTHS_PER_YEAR,
        "exclusions": sorted(MEMBER_EXCLUSION_LABELS),
        "capacities": sorted(WORK_CAPACITIES),
        "disabilities": sorted(DISABILITY_KINDS),
        "income_kinds": sorted(INCOME_KIND_LABELS),
        "income_sources": sorted(INCOME_SOURCE_LABELS),
        "recorded_only": sorted(RECORDED_ONLY_GROUPS),
        "group_numbers": sorted(PRIORITY_GROUP_LABELS),
        "dibao": Outcome.DIBAO.value,
        "marginal": Outcome.MARGINAL.value,
        "not_eligible": Outcome.NOT_ELIGIBLE.value,
        "manual": Outcome.MANUAL_REVIEW.value,
    }


def _grade_case() -> str:
    """《特困人员认定办法》第五条: the worst grade that still means no work capacity, by kind."""
    whens = " ".join(
        f"WHEN '{kind}' THEN {grade}" for kind, grade in sorted(NO_WORK_CAPACITY_GRADES.items())
    )
    return f"(CASE m.disability_kind {whens} END)"


def _codes(pairs: list[tuple[str, str]]) -> str:
    """ "a,b," from (condition, code) pairs; the caller adds the leading comma when not empty."""
    return " || ".join(f"(CASE WHEN {cond} THEN '{code},' ELSE '' END)" for cond, code in pairs)


# `{scope}` is a condition on h (households_household); `{only_h}`, `{only_m}` and `{only_a}`
# limit the other tables to the scope's households, or are empty when every household is in it.
_SQL = """
WITH hh AS (
    SELECT h.id, v.township_id, v.code AS village_code, h.code AS household_code, h.monitoring_type,
           h.risk_cleared, h.is_tuopin, h.tuopin_net_income_2021,
           h.tuopin_net_income_2022_estimate, h.petition_count, h.disaster_loss,
           h.high_fee_schooling, h.high_consumption
    FROM households_household h JOIN households_village v ON v.id = h.village_id
    WHERE {scope}
),
st AS (
    SELECT a.member_id,
           bool_or(a.kind = ANY(%(dibao_kinds)s)) AS on_dibao,
           bool_or(a.kind = %(dibao_single)s) AS single,
           min(a.start_date) FILTER (WHERE a.kind = ANY(%(dibao_kinds)s)) AS dibao_start,
           bool_or(a.kind = %(marginal_kind)s) AS on_marginal,
           bool_or(NOT (a.kind = ANY(%(dibao_kinds)s)) AND a.kind <> %(marginal_kind)s) AS extreme
    FROM households_assistancerecord a
    WHERE a.start_date <= %(as_of)s AND (a.end_date IS NULL OR a.end_date > %(as_of)s) {only_a}
    GROUP BY a.member_id
),
im AS MATERIALIZED (  -- incomes by household and member, annualised, kinds excluded
    SELECT i.household_id, i.member_id,
           sum(annual) FILTER (WHERE NOT excluded) AS amount,
           sum(annual) FILTER (WHERE NOT excluded AND i.kind = %(wage)s) AS wage,
           bool_or(NOT (i.kind = ANY(%(income_kinds)s)) OR NOT (i.source = ANY(%(income_sources)s))
                   OR i.period_months < 1) AS invalid
    FROM households_income i,
         LATERAL (SELECT CASE WHEN i.period_months = %(months)s THEN i.amount
                              ELSE round(i.amount * %(months)s / nullif(i.period_months, 0), 2)
                         END AS annual,
                         i.kind = ANY(%(excluded_kinds)s) AS excluded) x
    WHERE true {only_h}
    GROUP BY i.household_id, i.member_id
),
mem AS (
    SELECT m.household_id, m.employed, m.works_away, m.stable_employment_no_proof AS no_proof,
           m.chongqing_hukou, im.amount, im.wage,
           coalesce(st.on_dibao, false) AS on_dibao,
           coalesce(st.on_marginal, false) AS on_marginal,
           coalesce(st.extreme, false) AS extreme,
           (m.exclusion = '' AND NOT coalesce(st.on_dibao AND st.single, false)) AS counted,
           (m.exclusion = '' AND coalesce(st.on_dibao AND st.single, false)
            AND st.dibao_start >= %(single_since)s) AS single_in_scope,
           (m.disability_kind <> '' OR m.serious_illness OR m.student_level <> '') AS hardship,
           (m.lives_alone AND m.supporters_work_away
            AND m.birth_date <= %(elderly_born_by)s) AS elder_alone,
           (m.unemployed_due_to_covid AND m.months_without_income >= %(covid_months)s) AS idle,
           (NOT coalesce(st.extreme, false) AND NOT m.has_able_supporter AND (
              m.birth_date <= %(elderly_born_by)s OR m.birth_date > %(child_born_by)s
              OR coalesce(m.disability_grade <= {grade}, false))
           ) AS candidate,
           (NOT (m.exclusion = '' OR m.exclusion = ANY(%(exclusions)s))
            OR NOT (m.work_capacity = ANY(%(capacities)s))
            OR NOT (m.disability_kind = '' OR m.disability_kind = ANY(%(disabilities)s))
            OR (m.disability_grade IS NOT NULL AND m.disability_grade NOT BETWEEN 1 AND 4)
            OR coalesce(im.invalid, false)
           ) AS invalid
    FROM households_member m
    LEFT JOIN st ON st.member_id = m.id
    LEFT JOIN im ON im.member_id = m.id AND im.household_id = m.household_id
    WHERE true {only_m}
),
mh AS (
    SELECT household_id,
           count(*) FILTER (WHERE counted) AS n,
           sum(amount) FILTER (WHERE counted) AS income,
           sum(wage) FILTER (WHERE counted) AS wage_gross,
           count(*) FILTER (WHERE counted AND on_dibao) AS n_dibao,
           count(*) FILTER (WHERE counted AND no_proof AND wage IS NULL) AS n_imputed,
           bool_or(counted AND extreme) AS any_extreme,
           bool_or(counted AND NOT chongqing_hukou) AS any_outsider,
           bool_or(on_marginal) AS currently_marginal,
           bool_or(single_in_scope) AS single_in_scope,
           bool_or(counted AND candidate) AS any_candidate,
           bool_or(counted AND hardship) AS any_hardship,
           bool_or(counted AND elder_alone) AS any_elder_alone,
           bool_or(counted AND idle) AS any_idle,
           count(*) FILTER (WHERE counted AND (employed OR wage IS NOT NULL OR no_proof))
               AS workers,
           bool_or(counted AND (employed OR wage IS NOT NULL OR no_proof) AND works_away
                   AND coalesce(wage, CASE WHEN no_proof THEN %(min_wage_annual)s END, 0) > 0)
               AS worker_away_paid,
           bool_or(invalid) AS invalid
    FROM mem
    GROUP BY household_id
),
ih AS (  -- incomes of the household as a whole, or of nobody in it: always counted
    SELECT im.household_id, sum(im.amount) AS income, sum(im.wage) AS wage_gross,
           bool_or(im.invalid) AS invalid
    FROM im
    LEFT JOIN households_member m ON m.id = im.member_id AND m.household_id = im.household_id
    WHERE m.id IS NULL
    GROUP BY im.household_id
),
ah AS (
    SELECT a.household_id,
           sum(a.value) FILTER (WHERE a.kind = ANY(%(financial_kinds)s)) AS financial,
           bool_or(a.kind = %(vehicle)s AND NOT (a.vehicle_kind = ANY(%(exempt_vehicles)s)))
               AS vehicle,
           count(*) FILTER (WHERE a.kind = %(house)s) AS houses,
           bool_or(a.kind = %(house)s AND a.recent_purchase) AS recent_house,
           bool_or(a.kind = %(non_residential)s) AS non_residential,
           count(*) FILTER (WHERE a.kind = %(business)s) AS business,
           bool_or(a.employs_others) AS employs
    FROM households_asset a
    WHERE true {only_a_h}
    GROUP BY a.household_id
),
eh AS (
    SELECT e.household_id, sum(e.amount) AS rigid
    FROM households_expense e
    WHERE true {only_e_h}
    GROUP BY e.household_id
),
gh AS (
    SELECT g.household_id,
           array_agg(DISTINCT g."group") AS recorded,
           bool_or(NOT (g."group" = ANY(%(group_numbers)s))) AS invalid
    FROM households_prioritygrouprecord g
    WHERE true {only_g_h}
    GROUP BY g.household_id
),
lb AS (
    SELECT m.household_id FROM households_assistancerecord a
    JOIN households_member m ON m.id = a.member_id
    JOIN hh ON hh.id = m.household_id
    WHERE a.kind = ANY(%(dibao_kinds)s) AND a.end_date IS NOT NULL
      AND a.end_date <= %(as_of)s AND a.end_date >= %(since)s
    UNION
    SELECT p.household_id FROM households_application p
    JOIN hh ON hh.id = p.household_id
    WHERE p.kind = ANY(%(dibao_kinds)s) AND p.outcome = %(refused)s AND p.applied_on >= %(since)s
),
money AS (
    SELECT hh.*, coalesce(mh.n, 0) AS n, mh.n_dibao, mh.any_extreme, mh.any_outsider,
           coalesce(mh.currently_marginal, false) AS currently_marginal,
           mh.single_in_scope, mh.any_candidate, mh.any_hardship, mh.any_elder_alone,
           mh.any_idle, mh.workers, mh.worker_away_paid,
           coalesce(mh.invalid, false) OR coalesce(ih.invalid, false)
               OR coalesce(gh.invalid, false) AS invalid,
           coalesce(mh.wage_gross, 0) + coalesce(ih.wage_gross, 0)
               + coalesce(mh.n_imputed, 0) * %(min_wage_annual)s AS gross,
           coalesce(mh.income, 0) + coalesce(ih.income, 0)
               + coalesce(mh.n_imputed, 0) * %(min_wage_annual)s AS income,
           coalesce(ah.financial, 0) AS financial, coalesce(ah.vehicle, false) AS vehicle,
           coalesce(ah.houses, 0) AS houses, coalesce(ah.recent_house, false) AS recent_house,
           coalesce(ah.non_residential, false) AS non_residential,
           coalesce(ah.business, 0) AS business, coalesce(ah.employs, false) AS employs,
           coalesce(eh.rigid, 0) AS rigid, coalesce(gh.recorded, '{{}}') AS recorded,
           lb.household_id IS NOT NULL AS lookback
    FROM hh
    LEFT JOIN mh ON mh.household_id = hh.id
    LEFT JOIN ih ON ih.household_id = hh.id
    LEFT JOIN ah ON ah.household_id = hh.id
    LEFT JOIN eh ON eh.household_id = hh.id
    LEFT JOIN gh ON gh.household_id = hh.id
    LEFT JOIN (SELECT DISTINCT household_id FROM lb) lb ON lb.household_id = hh.id
),
totals AS MATERIALIZED (  -- computed once per household, not once per use below
    SELECT money.*, total,
           CASE WHEN n > 0 THEN round(total / n, 2) END AS pci
    FROM money,
         LATERAL (SELECT income - round(greatest(gross, 0) * %(rate)s, 2) AS total) t
),
tested AS (
    SELECT totals.*,
           CASE WHEN pci IS NULL THEN %(manual)s
                WHEN pci < %(std)s THEN %(dibao)s
                WHEN pci = %(std)s THEN %(manual)s
                WHEN pci < %(line)s THEN %(marginal)s
                ELSE %(not_eligible)s END AS income_outcome
    FROM totals
),
flagged AS (
    SELECT tested.*,
           (n > 0 AND round(financial / nullif(n, 0), 2) > %(financial_limit)s) AS f_financial,
           vehicle AS f_vehicle,
           houses >= %(house_limit)s AS f_house,
           recent_house AS f_recent,
           non_residential AS f_non_residential,
           business > 0 AS f_business,
           employs AS f_employs,
           high_fee_schooling AS f_schooling,
           high_consumption AS f_consumption,
           (n_dibao > 0 AND n_dibao < n) AS f_partial,
           coalesce(any_extreme, false) AS f_extreme,
           (income_outcome = %(marginal)s AND coalesce(any_outsider, false)) AS f_outsider,
           (coalesce(single_in_scope, false) AND n > 0 AND NOT currently_marginal
            AND income_outcome <> %(marginal)s) AS f_single,
           (pci IS NOT NULL AND pci < %(std)s AND coalesce(any_candidate, false)) AS f_candidate
    FROM tested
),
decided AS (
    SELECT flagged.*,
           CASE WHEN f_single THEN %(manual)s
                WHEN (f_financial OR f_vehicle OR f_house OR f_recent OR f_non_residential
                      OR f_business OR f_employs OR f_schooling OR f_consumption OR f_partial
                      OR f_extreme OR f_outsider OR f_candidate)
                     AND income_outcome IN (%(dibao)s, %(marginal)s) THEN %(manual)s
                ELSE income_outcome END AS outcome,
           {flag_codes} AS flag_list,
           {group_codes} AS group_list
    FROM flagged
    OFFSET 0  -- keeps each expression evaluated once per household
)
SELECT id, village_code, household_code, outcome, pci, n,
       CASE WHEN outcome = %(dibao)s THEN
           round((%(std)s - greatest(pci, 0)) * n / %(months)s, 0) END,
       (pci IS NOT NULL AND (abs(pci - %(std)s) <= %(band)s OR abs(pci - %(line)s) <= %(band)s)),
       lookback,
       CASE WHEN flag_list = '' THEN '' ELSE ',' || flag_list END,
       CASE WHEN group_list = '' THEN '' ELSE ',' || group_list END,
       invalid,
       township_id
FROM decided
"""

# Flags in the order screening.rules.evaluate lists them (asset, membership, 单人户, 特困).
_FLAG_CONDITIONS = {
    "asset_financial_over_limit": "f_financial",
    "asset_vehicle_not_exempt": "f_vehicle",
    "asset_house_count": "f_house",
    "asset_recent_house_purchase": "f_recent",
    "asset_non_residential_property": "f_non_residential",
    "asset_business_registration": "f_business",
    "asset_employs_others": "f_employs",
    "consumption_high_fee_schooling": "f_schooling",
    "consumption_high": "f_consumption",
    "partial_household_on_dibao": "f_partial",
    "member_is_extreme_poverty": "f_extreme",
    "marginal_non_chongqing_hukou": "f_outsider",
    "single_person_family_not_marginal": "f_single",
    "extreme_poverty_candidate": "f_candidate",
}


def _recorded(group: int) -> str:
    return f"{group} = ANY(recorded)"


# Priority groups 1–12 (洗府发〔2022〕156号 三(一)), as screening.rules._priority_groups finds them.
_GROUP_CONDITIONS = {
    1: _recorded(1),
    2: "(monitoring_type <> '' AND NOT risk_cleared)",
    3: "(is_tuopin AND tuopin_net_income_2021 < %(tuopin_screen)s)",
    4: "(is_tuopin AND tuopin_net_income_2022_estimate < %(tuopin_screen)s)",
    5: "currently_marginal",
    6: (
        "(pci IS NOT NULL AND rigid > 0 AND pci < %(ceiling)s"
        " AND rigid >= round(%(share)s * greatest(total, 0), 2))"
    ),
    7: "(coalesce(any_hardship, false) OR disaster_loss)",
    8: "coalesce(any_elder_alone, false)",
    9: f"({_recorded(9)} OR coalesce(any_idle, false))",
    10: "(workers = 1 AND coalesce(worker_away_paid, false))",
    11: _recorded(11),
    12: "petition_count >= %(petitions)s",
}
assert set(_GROUP_CONDITIONS) == set(PRIORITY_GROUP_LABELS)


def statement(scope: str | None) -> str:
    """The SELECT for households matching `scope` (SQL on `h`; None: every household)."""
    inside = "IN (SELECT id FROM hh)"
    limits = {
        "only_h": f"AND i.household_id {inside}",
        "only_m": f"AND m.household_id {inside}",
        "only_a": (
            f"AND a.member_id IN (SELECT id FROM households_member WHERE household_id {inside})"  # noqa: S608
        ),
        "only_a_h": f"AND a.household_id {inside}",
        "only_e_h": f"AND e.household_id {inside}",
        "only_g_h": f"AND g.household_id {inside}",
    }
    if scope is None:
        limits = dict.fromkeys(limits, "")
    return _SQL.format(
        scope=scope or "true",
        grade=_grade_case(),
        flag_codes=_codes([(cond, code) for code, cond in _FLAG_CONDITIONS.items()]),
        group_codes=_codes([(cond, str(g)) for g, cond in sorted(_GROUP_CONDITIONS.items())]),
        **limits,
    )


def verdict_rows(
    policy: CampaignPolicy,
    *,
    township_ids: list[int] | None,
    village_id=None,
    household_ids=None,
) -> list[tuple]:
    """Each household's verdict columns (COLUMNS) in the given townships (None: all of them),
    or in one village, or of the given households."""
    params = _params(policy)
    scope = []
    if township_ids is not None:
        scope.append("v.township_id = ANY(%(township_ids)s)")
        params["township_ids"] = list(township_ids)
    if village_id is not None:
        scope.append("h.village_id = %(village_id)s")
        params["village_id"] = village_id
    if household_ids is not None:
        scope.append("h.id = ANY(%(household_ids)s)")
        params["household_ids"] = list(household_ids)
    with transaction.atomic(), connection.cursor() as cursor:
        # Row estimates multiply across the joins; JIT-compiling for that imagined cost takes
        # seconds for a query that runs in milliseconds.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(statement(" AND ".join(scope) or None), params)
        return cursor.fetchall()


__all__ = ["COLUMNS", "available", "statement", "verdict_rows"]
