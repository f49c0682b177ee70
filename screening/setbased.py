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

`different_rows` compares the result with each household's current verdict in the same
statement and sends back only the households whose verdict does not stand, so a run over an
unchanged county moves almost nothing out of the database.

The statement has two halves: the per-household aggregates of the registry tables (`agg`),
and the rules over them (`_RULES`). A run reads the aggregates stored in HouseholdFacts
(`stored=True`) and recomputes only rows that do not stand (`refresh_facts`): aggregating nine
tables costs about twice a plain income-and-member aggregate before any rule is applied,
reading one stored row per household much less. `verdict_rows` computes from the registry
tables directly; the tests compare both ways.

PostgreSQL only (exact arithmetic: amounts in whole fen as bigint, NUMERIC where a yuan amount
is written, the rules' half-up rounding); on SQLite the Python path screens.
"""

from __future__ import annotations

import hashlib
import math
from datetime import date
from decimal import Decimal

from django.db import connection, transaction

from households.models import Application, Asset, AssistanceRecord

from .benefit import rounding_places
from .facts import (
    ABLE_WORK_CAPACITIES,
    ALL_WAGE_EARNERS,
    DATA_MATCH,
    DISABILITY_KINDS,
    INCOME_KIND_LABELS,
    INCOME_SOURCE_LABELS,
    MEMBER_EXCLUSION_LABELS,
    MONTHS_PER_YEAR,
    NO_WORK_CAPACITY_GRADES,
    PRIORITY_GROUP_LABELS,
    SOLE_EARNER_AWAY,
    UNMEASURED_WAGE_AMOUNT,
    WAGE,
    WORK_CAPACITIES,
    WORKING_AWAY,
    CampaignPolicy,
    Outcome,
    _cent,
)
from .models import HouseholdFacts
from .registry import DIBAO_KINDS, FINANCIAL_KINDS, LOOKBACK_REFUSAL_KINDS

# HouseholdFacts fields that say whether a row stands, not what it holds.
_FACTS_VALIDITY = ("household_id", "tag", "computed_version", "valid_from", "valid_until")

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
    "stale",
)
# The columns ScreeningResult stores under these names (from village_code), and of those what
# the rules decide (from outcome; screening.explain.verdict_columns gives them in this order).
STORED_COLUMNS = COLUMNS[1 : COLUMNS.index("needs_reference")]
VERDICT_COLUMNS = STORED_COLUMNS[STORED_COLUMNS.index("outcome") :]


def available() -> bool:
    """Whether this database can screen set-based (PostgreSQL)."""
    return connection.vendor == "postgresql"


def born_by(as_of: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `as_of` (29 Feb → 28 Feb)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:
        return date(as_of.year - years, 2, 28)


def _fen_up(value: Decimal) -> int:
    """For x in whole fen: x < value ⟺ x_fen < this, and x ≥ value ⟺ x_fen ≥ this."""
    return math.ceil(value * 100)


def _fen_down(value: Decimal) -> int:
    """For x in whole fen: x ≤ value ⟺ x_fen ≤ this."""
    return math.floor(value * 100)


def _fen_exact(value: Decimal) -> int | None:
    """value in fen, or None (no amount of whole fen equals it)."""
    fen = value * 100
    return int(fen) if fen == fen.to_integral_value() else None


def _params(policy: CampaignPolicy) -> dict:
    std, line, band = policy.dibao_standard_annual, policy.marginal_line, policy.near_line_band
    rate_p, rate_q = policy.employment_cost_rate.as_integer_ratio()
    return {
        "as_of": policy.as_of,
        # Born on or before this date: at least that old on as_of (screening.rules._age).
        "elderly_born_by": born_by(policy.as_of, policy.elderly_age),
        "elderly_age": policy.elderly_age,
        "child_age": policy.child_age,
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
        "refusal_kinds": sorted(LOOKBACK_REFUSAL_KINDS),
        "wage": WAGE,
        "data_match": DATA_MATCH,
        "unmeasured_amount": UNMEASURED_WAGE_AMOUNT,
        "std": std,
        # Per-head income is compared in whole fen; these bounds make that exact for any value.
        "std_below": _fen_up(std),
        "std_exact": _fen_exact(std),
        "line_below": _fen_up(line),
        "std_near_from": _fen_up(std - band),  # |x − std| ≤ band
        "std_near_to": _fen_down(std + band),
        "line_near_from": _fen_up(line - band),
        "line_near_to": _fen_down(line + band),
        "ceiling_below": _fen_up(policy.expenditure_income_ceiling),
        "rate_p": rate_p,
        "rate_q": rate_q,
        "cost_scope": policy.employment_cost_scope,
        "scope_all": ALL_WAGE_EARNERS,
        "scope_away": WORKING_AWAY,
        "scope_sole_away": SOLE_EARNER_AWAY,
        "able_capacities": sorted(ABLE_WORK_CAPACITIES),
        "min_wage_fen": int(_cent(policy.minimum_wage_monthly * MONTHS_PER_YEAR) * 100),
        "financial_limit": _cent(policy.financial_assets_multiplier * std),
        "house_limit": policy.house_count_limit,
        "since": policy.lookback_since,
        "single_since": policy.single_person_since,
        "covid_months": policy.covid_months_without_income,
        "petitions": policy.petition_threshold,
        "tuopin_screen": policy.tuopin_income_screen,
        "share": policy.rigid_expense_share,
        "months": MONTHS_PER_YEAR,
        "benefit_places": rounding_places(policy.benefit_rounding),
        "exclusions": sorted(MEMBER_EXCLUSION_LABELS),
        "capacities": sorted(WORK_CAPACITIES),
        "disabilities": sorted(DISABILITY_KINDS),
        "income_kinds": sorted(INCOME_KIND_LABELS),
        "income_sources": sorted(INCOME_SOURCE_LABELS),
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


# Money is summed in whole fen (bigint) and turned back into yuan once per household: the
# same exact amounts as NUMERIC, several times cheaper to add up (screening.rules rounds each
# annualised income to the cent first, so no fraction of a fen is ever dropped).
#
# `{scope}` is a condition on h (households_household); the `{only_*}` conditions limit the
# other tables to the scope's households, or are empty when every household is in it.
_HH = """
hh AS (
SELECT h.id, v.township_id, v.code AS village_code, h.code AS household_code, h.monitoring_type,
           h.risk_cleared, h.is_tuopin, h.tuopin_net_income_2021,
           h.tuopin_net_income_2022_estimate, h.petition_count, h.disaster_loss,
           h.high_fee_schooling, h.high_consumption
    FROM households_household h JOIN households_village v ON v.id = h.village_id
    WHERE h.withdrawn_at IS NULL AND ({scope})
)
"""

# Every aggregate the rules read, per household in hh (`agg`), from the registry tables. Money
# is summed in whole fen (bigint) and turned back into yuan once per household: the same exact
# amounts as NUMERIC, several times cheaper to add up (screening.rules rounds each annualised
# income to the cent first, so no fraction of a fen is ever dropped). `until`: the first day
# after the as-of date on which the aggregates may change without a write (HouseholdFacts).
_AGGREGATES = """
st AS (  -- each member's assistance on the as-of date
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
inc AS (  -- each income, annualised (rounded to the cent) in fen; excluded kinds marked
    SELECT i.household_id, i.member_id, i.kind = %(wage)s AS is_wage,
           (CASE WHEN i.period_months = %(months)s THEN i.amount
                 ELSE round(i.amount * %(months)s / nullif(i.period_months, 0), 2)
            END * 100)::bigint AS fen,
           i.kind = ANY(%(excluded_kinds)s) AS excluded,
           -- a 信息比对 wage without an amount (screening.facts.UNMEASURED_WAGE_AMOUNT)
           (i.kind = %(wage)s AND i.source = %(data_match)s
            AND i.amount = %(unmeasured_amount)s) AS unmeasured,
           (NOT (i.kind = ANY(%(income_kinds)s)) OR NOT (i.source = ANY(%(income_sources)s))
            OR i.period_months < 1) AS invalid
    FROM households_income i
    WHERE true {only_h}
),
ih AS (  -- the household's incomes, whoever they belong to
    SELECT household_id,
           sum(fen) FILTER (WHERE NOT excluded)::bigint AS income,
           sum(fen) FILTER (WHERE NOT excluded AND is_wage)::bigint AS wage,
           bool_or(invalid) AS invalid
    FROM inc
    GROUP BY household_id
),
im AS (  -- a member's wages; all incomes of members whose incomes are not the family's
    SELECT member_id, household_id,
           sum(fen)::bigint AS income,
           sum(fen) FILTER (WHERE is_wage)::bigint AS wage,
           bool_or(unmeasured) AS unmeasured
    FROM inc
    WHERE NOT excluded AND (is_wage
          OR member_id IN (SELECT id FROM households_member WHERE exclusion <> '')
          OR member_id IN (SELECT member_id FROM st WHERE on_dibao AND single))
    GROUP BY member_id, household_id
),
mem AS (
    SELECT m.household_id, im.income, im.wage,
           (m.exclusion = '' AND NOT coalesce(st.on_dibao AND st.single, false)) AS counted,
           coalesce(st.on_dibao, false) AS on_dibao,
           m.stable_employment_no_proof AS no_proof,
           (m.employed OR im.wage IS NOT NULL OR m.stable_employment_no_proof) AS worker,
           -- one bit per fact the household needs of any member (see `mh`)
           CASE WHEN st.extreme THEN 1 ELSE 0 END
           | CASE WHEN NOT m.chongqing_hukou THEN 2 ELSE 0 END
           | CASE WHEN st.on_marginal THEN 4 ELSE 0 END
           | CASE WHEN m.exclusion = '' AND st.on_dibao AND st.single
                       AND st.dibao_start >= %(single_since)s THEN 8 ELSE 0 END
           | CASE WHEN NOT coalesce(st.extreme, false) AND NOT m.has_able_supporter AND (
                  m.birth_date <= %(elderly_born_by)s OR m.birth_date > %(child_born_by)s
                  OR m.disability_grade <= {grade}) THEN 16 ELSE 0 END
           | CASE WHEN m.disability_kind <> '' OR m.serious_illness OR m.student_level <> ''
                  THEN 32 ELSE 0 END
           | CASE WHEN m.lives_alone AND m.supporters_work_away
                       AND m.birth_date <= %(elderly_born_by)s THEN 64 ELSE 0 END
           | CASE WHEN m.unemployed_due_to_covid AND m.months_without_income >= %(covid_months)s
                  THEN 128 ELSE 0 END
           | CASE WHEN (m.employed OR im.wage IS NOT NULL OR m.stable_employment_no_proof)
                       AND m.works_away AND coalesce(im.wage, CASE WHEN m.stable_employment_no_proof
                                                       THEN %(min_wage_fen)s END, 0) > 0
                  THEN 256 ELSE 0 END
           | CASE WHEN NOT (m.exclusion = '' OR m.exclusion = ANY(%(exclusions)s))
                       OR NOT (m.work_capacity = ANY(%(capacities)s))
                       OR NOT (m.disability_kind = '' OR m.disability_kind = ANY(%(disabilities)s))
                       OR m.disability_grade NOT BETWEEN 1 AND 4 THEN 512 ELSE 0 END
           -- working age, recorded able to work, not a student (未登记收入)
           | CASE WHEN m.birth_date <= %(child_born_by)s AND m.birth_date > %(elderly_born_by)s
                       AND m.work_capacity = ANY(%(able_capacities)s) AND m.student_level = ''
                  THEN 1024 ELSE 0 END
           -- 公积金 found by 信息比对, no wage declared: a wage of unknown amount
           | CASE WHEN im.unmeasured THEN 4096 ELSE 0 END AS facts,
           -- the pay (or imputed pay) of a member working away: the deduction's scope
           CASE WHEN m.works_away THEN coalesce(im.wage, CASE WHEN m.stable_employment_no_proof
                                                         THEN %(min_wage_fen)s END) END
               AS away_wage,
           -- the first later day this member's age may change a rule's answer
           least(CASE WHEN m.birth_date > %(elderly_born_by)s
                      THEN (m.birth_date + make_interval(years => %(elderly_age)s))::date END,
                 CASE WHEN m.birth_date > %(child_born_by)s
                      THEN (m.birth_date + make_interval(years => %(child_age)s))::date END)
               AS until
    FROM households_member m
    LEFT JOIN st ON st.member_id = m.id
    LEFT JOIN im ON im.member_id = m.id AND im.household_id = m.household_id
    WHERE true {only_m}
    OFFSET 0  -- each member's columns once, not once per aggregate that reads them
),
mh AS (
    SELECT household_id,
           count(*) FILTER (WHERE counted) AS n,
           count(*) FILTER (WHERE counted AND on_dibao) AS n_dibao,
           count(*) FILTER (WHERE counted AND no_proof AND wage IS NULL) AS n_imputed,
           count(*) FILTER (WHERE counted AND worker) AS workers,
           sum(income) FILTER (WHERE NOT counted)::bigint AS off_income,
           sum(wage) FILTER (WHERE NOT counted)::bigint AS off_wage,
           sum(away_wage) FILTER (WHERE counted)::bigint AS away_wage,
           bit_or(facts) FILTER (WHERE counted) AS counted_facts,  -- 1, 2, 16–256, 1024, 4096
           bit_or(facts) AS any_facts,  -- bits 4, 8, 512
           min(until) AS until
    FROM mem
    GROUP BY household_id
),
ah AS (
    SELECT a.household_id,
           sum(a.value) FILTER (WHERE a.kind = ANY(%(financial_kinds)s)) AS financial,
           count(*) FILTER (WHERE a.kind = %(house)s) AS houses,
           bit_or(CASE WHEN a.kind = %(vehicle)s
                            AND NOT (a.vehicle_kind = ANY(%(exempt_vehicles)s)) THEN 1 ELSE 0 END
                  | CASE WHEN a.kind = %(house)s AND a.recent_purchase THEN 2 ELSE 0 END
                  | CASE WHEN a.kind = %(non_residential)s THEN 4 ELSE 0 END
                  | CASE WHEN a.kind = %(business)s THEN 8 ELSE 0 END
                  | CASE WHEN a.employs_others THEN 16 ELSE 0 END) AS asset_facts
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
           bit_or(CASE WHEN g."group" BETWEEN 1 AND 62 THEN 1::bigint << g."group" ELSE 0 END)
               AS recorded,
           bool_or(NOT (g."group" = ANY(%(group_numbers)s))) AS invalid
    FROM households_prioritygrouprecord g
    WHERE true {only_g_h}
    GROUP BY g.household_id
),
lb AS (
    SELECT m.household_id FROM households_assistancerecord a
    JOIN households_member m ON m.id = a.member_id
    WHERE a.kind = ANY(%(dibao_kinds)s) AND a.end_date IS NOT NULL
      AND a.end_date <= %(as_of)s AND a.end_date >= %(since)s {only_m}
    UNION
    SELECT p.household_id FROM households_application p
    WHERE p.kind = ANY(%(refusal_kinds)s) AND p.outcome = %(refused)s
      AND COALESCE(p.decided_on, p.applied_on) >= %(since)s
          {only_p_h}
),
au AS (  -- the first later day an assistance record starts or ends
    SELECT m.household_id,
           min(least(CASE WHEN a.start_date > %(as_of)s THEN a.start_date END,
                     CASE WHEN a.end_date > %(as_of)s THEN a.end_date END)) AS until
    FROM households_assistancerecord a
    JOIN households_member m ON m.id = a.member_id
    WHERE (a.start_date > %(as_of)s OR a.end_date > %(as_of)s) {only_m}
    GROUP BY m.household_id
),
agg AS (
    SELECT hh.*, coalesce(mh.n, 0) AS n, mh.n_dibao, mh.workers,
           coalesce(mh.counted_facts, 0) | (coalesce(mh.any_facts, 0) & (4 | 8 | 512))
               -- no income line registered, nor any imputed
               | CASE WHEN ih.household_id IS NULL AND coalesce(mh.n_imputed, 0) = 0
                      THEN 2048 ELSE 0 END AS facts,
           coalesce(mh.any_facts & 512 > 0, false) OR coalesce(ih.invalid, false)
               OR coalesce(gh.invalid, false) AS invalid,
           coalesce(ih.wage, 0) - coalesce(mh.off_wage, 0)
               + coalesce(mh.n_imputed, 0) * %(min_wage_fen)s AS gross_fen,
           coalesce(ih.income, 0) - coalesce(mh.off_income, 0)
               + coalesce(mh.n_imputed, 0) * %(min_wage_fen)s AS income_fen,
           coalesce(mh.away_wage, 0) AS away_fen,
           coalesce(ah.financial, 0) AS financial, coalesce(ah.houses, 0) AS houses,
           coalesce(ah.asset_facts, 0) AS asset_facts,
           coalesce(eh.rigid, 0) AS rigid, coalesce(gh.recorded, 0) AS recorded,
           lb.household_id IS NOT NULL AS lookback,
           least(mh.until, au.until) AS until
    FROM hh
    LEFT JOIN mh ON mh.household_id = hh.id
    LEFT JOIN ih ON ih.household_id = hh.id
    LEFT JOIN ah ON ah.household_id = hh.id
    LEFT JOIN eh ON eh.household_id = hh.id
    LEFT JOIN gh ON gh.household_id = hh.id
    LEFT JOIN lb ON lb.household_id = hh.id  -- UNION: one row per household
    LEFT JOIN au ON au.household_id = hh.id
)
"""

# The aggregates, as screening.models.HouseholdFacts stores them (its fields after the validity ones).
FACT_COLUMNS = tuple(
    f.attname for f in HouseholdFacts._meta.fields if f.attname not in _FACTS_VALIDITY
)

# From the registry tables: what verdict_rows and the equivalence tests use.
_FRESH = """
money AS (SELECT agg.*, false AS stale FROM agg)
"""

# From the stored aggregates: `stale` when a row is missing, was written since, was computed
# under another policy or SQL, or does not hold on the as-of date (the service recomputes those).
_STORED = """
money AS (
    SELECT hh.*, {fact_columns},
           (f.household_id IS NULL OR f.tag <> %(facts_tag)s
            OR f.computed_version <> coalesce(iv.version, 0)
            OR %(as_of)s < f.valid_from OR %(as_of)s >= f.valid_until) AS stale
    FROM hh
    LEFT JOIN screening_householdfacts f ON f.household_id = hh.id
    LEFT JOIN screening_inputversion iv ON iv.household_id = hh.id
)
"""

# The rules, clause by clause, on `money`: one row per household with its verdict columns.
_RULES = """
totals AS MATERIALIZED (  -- computed once per household, not once per use below
    SELECT money.*, total_fen,
           -- per head, rounded half up to the fen (away from zero, as Decimal's ROUND_HALF_UP)
           CASE WHEN n = 0 THEN NULL
                WHEN total_fen < 0 THEN -((2 * -total_fen + n) / (2 * n))
                ELSE (2 * total_fen + n) / (2 * n) END AS pci_fen
    FROM money,
         -- the pay the deduction's scope covers (screening.rules._deductible)
         LATERAL (SELECT CASE %(cost_scope)s
                             WHEN %(scope_all)s THEN gross_fen
                             WHEN %(scope_away)s THEN away_fen
                             WHEN %(scope_sole_away)s THEN
                                 CASE WHEN workers = 1 AND facts & 256 > 0 THEN away_fen END
                         END AS base_fen) b,
         -- the employment-cost deduction (rate p/q of that pay), rounded half up to the fen
         LATERAL (SELECT income_fen - (2 * greatest(coalesce(base_fen, 0), 0) * %(rate_p)s
                                       + %(rate_q)s) / (2 * %(rate_q)s) AS total_fen) t
),
tested AS (
    SELECT totals.*,
           CASE WHEN pci_fen IS NULL THEN %(manual)s
                WHEN pci_fen < %(std_below)s THEN %(dibao)s
                WHEN pci_fen = %(std_exact)s THEN %(manual)s
                WHEN pci_fen < %(line_below)s THEN %(marginal)s
                ELSE %(not_eligible)s END AS income_outcome
    FROM totals
),
flagged AS (
    SELECT tested.*,
           (financial > 0 AND n > 0 AND round(financial / n, 2) > %(financial_limit)s)
               AS f_financial,
           asset_facts & 1 > 0 AS f_vehicle,
           houses >= %(house_limit)s AS f_house,
           asset_facts & 2 > 0 AS f_recent,
           asset_facts & 4 > 0 AS f_non_residential,
           asset_facts & 8 > 0 AS f_business,
           asset_facts & 16 > 0 AS f_employs,
           high_fee_schooling AS f_schooling,
           high_consumption AS f_consumption,
           (n_dibao > 0 AND n_dibao < n) AS f_partial,
           facts & 1 > 0 AS f_extreme,
           (income_outcome = %(marginal)s AND facts & 2 > 0) AS f_outsider,
           (facts & 8 > 0 AND n > 0 AND facts & 4 = 0
            AND income_outcome <> %(marginal)s) AS f_single,
           (pci_fen IS NOT NULL AND pci_fen < %(std_below)s AND facts & 16 > 0) AS f_candidate,
           (facts & 1024 > 0 AND facts & 2048 > 0) AS f_unregistered,
           facts & 4096 > 0 AS f_wage_unknown
    FROM tested
),
decided AS (
    SELECT flagged.*,
           CASE WHEN f_single OR f_unregistered OR f_wage_unknown THEN %(manual)s
                WHEN (f_financial OR f_vehicle OR f_house OR f_recent OR f_non_residential
                      OR f_business OR f_employs OR f_schooling OR f_consumption OR f_partial
                      OR f_extreme OR f_outsider OR f_candidate)
                     AND income_outcome IN (%(dibao)s, %(marginal)s) THEN %(manual)s
                ELSE income_outcome END AS outcome,
           {flag_codes} AS flag_list,
           {group_codes} AS group_list
    FROM flagged
    OFFSET 0  -- keeps each expression evaluated once per household
),
verdicts AS (
    SELECT id, village_code, household_code, outcome, pci_fen * 0.01 AS pci, n,
           CASE WHEN outcome = %(dibao)s THEN
               round((%(std)s - greatest(pci_fen, 0) * 0.01) * n / %(months)s,
                     %(benefit_places)s)
           END AS monthly_amount,
           (pci_fen IS NOT NULL AND (pci_fen BETWEEN %(std_near_from)s AND %(std_near_to)s
                                     OR pci_fen BETWEEN %(line_near_from)s AND %(line_near_to)s))
               AS near_line,
           lookback,
           CASE WHEN flag_list = '' THEN '' ELSE ',' || flag_list END AS flag_codes,
           CASE WHEN group_list = '' THEN '' ELSE ',' || group_list END AS group_codes,
           invalid, township_id, coalesce(stale, false) AS stale
    FROM decided
)
"""


# Every household's columns.
_ALL = "SELECT * FROM verdicts"

# The households whose current verdict (same policy apart from the date: fingerprint tag) has
# other columns, or is marked changed, or that have none, or that the SQL cannot judge.
# `kept`: the current verdict's columns stand (only its "changed" mark is to clear).
_DIFFERENT = """
SELECT v.*, r.id AS current_id, r.outcome AS current_outcome, r.changed AS current_changed,
       (r.id IS NOT NULL AND left(r.fingerprint, %(tag_length)s) = %(tag)s
        AND r.village_code = v.village_code AND r.household_code = v.household_code
        AND r.outcome = v.outcome AND r.per_capita_income IS NOT DISTINCT FROM v.pci
        AND r.member_count = v.n
        AND r.monthly_amount IS NOT DISTINCT FROM v.monthly_amount
        AND r.near_line = v.near_line AND r.lookback = v.lookback
        AND r.flag_codes = v.flag_codes AND r.group_codes = v.group_codes) AS kept
FROM verdicts v
LEFT JOIN screening_screeningresult r
       ON r.household_id = v.id AND r.is_current AND r.campaign_id = ANY(%(campaign_ids)s)
"""

# Flags in the order screening.rules.evaluate lists them (asset, membership, 单人户, 特困,
# 未登记收入, 公积金 without a declared wage).
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
    "income_not_registered": "f_unregistered",
    "housing_fund_wage_undeclared": "f_wage_unknown",
}


def _recorded(group: int) -> str:
    return f"recorded & {1 << group} > 0"


# Priority groups 1–12 (洗府发〔2022〕156号 三(一)), as screening.rules._priority_groups finds them.
_GROUP_CONDITIONS = {
    1: _recorded(1),
    2: "(monitoring_type <> '' AND NOT risk_cleared)",
    3: "(is_tuopin AND tuopin_net_income_2021 < %(tuopin_screen)s)",
    4: "(is_tuopin AND tuopin_net_income_2022_estimate < %(tuopin_screen)s)",
    5: "facts & 4 > 0",  # on 低保边缘 now
    6: (
        "(pci_fen IS NOT NULL AND rigid > 0 AND pci_fen < %(ceiling_below)s"
        " AND rigid >= round(%(share)s * greatest(total_fen, 0) * 0.01, 2))"
    ),
    7: "(facts & 32 > 0 OR disaster_loss)",  # disability, serious illness, student
    8: "facts & 64 > 0",  # an elder living alone, supporters away
    9: f"({_recorded(9)} OR facts & 128 > 0)",  # or out of work since COVID
    10: "(workers = 1 AND facts & 256 > 0)",  # the only worker works away, paid
    11: _recorded(11),
    12: "petition_count >= %(petitions)s",
}
assert set(_GROUP_CONDITIONS) == set(PRIORITY_GROUP_LABELS)


def _limits(scope: str | None) -> dict:
    """The `{only_*}` conditions: the other tables limited to the scope's households."""
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
        "only_p_h": f"AND p.household_id {inside}",
    }
    return dict.fromkeys(limits, "") if scope is None else limits


def _format(template: str, scope: str | None, **extra) -> str:
    return template.format(
        scope=scope or "true",
        grade=_grade_case(),
        flag_codes=_codes([(cond, code) for code, cond in _FLAG_CONDITIONS.items()]),
        group_codes=_codes([(cond, str(g)) for g, cond in sorted(_GROUP_CONDITIONS.items())]),
        fact_columns=", ".join(f"f.{c}" for c in FACT_COLUMNS),
        **_limits(scope),
        **extra,
    )


def statement(scope: str | None, select: str = _ALL, *, stored: bool = False) -> str:
    """The statement for households matching `scope` (SQL on `h`; None: every household):
    from the registry tables, or with `stored` from the stored aggregates (HouseholdFacts)."""
    money = _STORED if stored else f"{_AGGREGATES},{_FRESH}"
    return _format(f"WITH {_HH},{money},{_RULES}{select}", scope)


# Writes the aggregates of the households in hh to HouseholdFacts, with the input version read
# in the same snapshot as the data (a write committed meanwhile leaves the row stale).
_REFRESH = """
INSERT INTO screening_householdfacts AS f
    (household_id, tag, computed_version, valid_from, valid_until, {columns})
SELECT agg.id, %(facts_tag)s, coalesce(iv.version, 0), %(as_of)s, agg.until, {agg_columns}
FROM agg LEFT JOIN screening_inputversion iv ON iv.household_id = agg.id
ORDER BY agg.id
ON CONFLICT (household_id) DO UPDATE SET
    tag = EXCLUDED.tag, computed_version = EXCLUDED.computed_version,
    valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until, {updates}
"""

# Parameters that change with the as-of date; the stored aggregates carry validity dates instead.
_DATED = ("as_of", "elderly_born_by", "child_born_by")


def refresh_statement(scope: str | None) -> str:
    insert = _REFRESH.format(
        columns=", ".join(FACT_COLUMNS),
        agg_columns=", ".join(f"agg.{c}" for c in FACT_COLUMNS),
        updates=", ".join(f"{c} = EXCLUDED.{c}" for c in FACT_COLUMNS),
    )
    return _format(f"WITH {_HH},{_AGGREGATES}{insert}", scope)


def facts_tag(policy: CampaignPolicy) -> str:
    """Digest of what the stored aggregates depend on besides data and date: the parameters
    their SQL reads (not the standards and limits only the rules read, so a new standard
    reuses them) and that SQL itself (a release that changes it recomputes every row)."""
    text = refresh_statement(None)
    params = {k: v for k, v in _params(policy).items() if k not in _DATED and f"%({k})s" in text}
    text += repr(sorted(params.items()))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _scoped(policy, township_ids, village_id, household_ids) -> tuple[str | None, dict]:
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
    return " AND ".join(scope) or None, params


def _fetch(sql: str, params: dict) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        # Row estimates multiply across the joins; JIT-compiling for that imagined cost takes
        # seconds for a query that runs in milliseconds.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def verdict_rows(
    policy: CampaignPolicy,
    *,
    township_ids: list[int] | None,
    village_id=None,
    household_ids=None,
) -> list[tuple]:
    """Each household's verdict columns (COLUMNS) in the given townships (None: all of them),
    or in one village, or of the given households."""
    scope, params = _scoped(policy, township_ids, village_id, household_ids)
    return _fetch(statement(scope), params)


def different_rows(
    policy: CampaignPolicy,
    *,
    tag: str,
    campaign_ids: list[int],
    township_ids: list[int] | None,
    village_id=None,
    household_ids=None,
    everything: bool = False,
    stored: bool = False,
) -> list[tuple]:
    """The households whose current verdict in the campaigns does not stand as it is (every
    household with `everything`): COLUMNS, then current_id, current_outcome, current_changed
    and kept. Compared inside the statement, so an unchanged county sends no rows back.
    `stored`: from the stored aggregates; a household whose row does not stand comes back
    with `stale` set and its other columns meaningless (refresh_facts, then ask again)."""
    scope, params = _scoped(policy, township_ids, village_id, household_ids)
    params |= {"tag": tag, "tag_length": len(tag), "campaign_ids": list(campaign_ids)}
    if stored:
        params["facts_tag"] = facts_tag(policy)
    select = _DIFFERENT
    if not everything:
        select = (
            f"SELECT * FROM ({_DIFFERENT}) d WHERE NOT kept OR current_changed OR invalid OR stale"  # noqa: S608
        )
    return _fetch(statement(scope, select, stored=stored), params)


def aggregate_rows(policy: CampaignPolicy, household_ids: list[int]) -> dict[int, tuple]:
    """The aggregates (FACT_COLUMNS, then until) of these households, from the registry."""
    scope, params = _scoped(policy, None, None, household_ids)
    columns = ", ".join((*FACT_COLUMNS, "until"))
    sql = _format(f"WITH {_HH},{_AGGREGATES} SELECT id, {columns} FROM agg", scope)  # noqa: S608
    rows = _fetch(sql, params)
    return {row[0]: row[1:] for row in rows}


def refresh_facts(
    policy: CampaignPolicy, *, township_ids=None, village_id=None, household_ids=None
) -> None:
    """Compute and store the aggregates (HouseholdFacts) of the households in scope."""
    scope, params = _scoped(policy, township_ids, village_id, household_ids)
    params["facts_tag"] = facts_tag(policy)
    _fetch(refresh_statement(scope), params)


__all__ = [
    "COLUMNS",
    "FACT_COLUMNS",
    "STORED_COLUMNS",
    "VERDICT_COLUMNS",
    "aggregate_rows",
    "available",
    "different_rows",
    "facts_tag",
    "refresh_facts",
    "statement",
    "verdict_rows",
]
