"""Tests for screening.rules: one table per rule, boundaries, and hypothesis properties."""

import itertools
import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.rules import (
    DEFAULT_EXCLUDED_INCOME_KINDS,
    EXCLUDED_INCOME_KIND_LABELS,
    INCOME_KIND_LABELS,
    MEMBER_EXCLUSION_LABELS,
    OUTCOME_LABELS,
    PRIORITY_GROUP_LABELS,
    RULESET_VERSION,
    VEHICLE_KIND_LABELS,
    AssetFacts,
    CampaignPolicy,
    HouseholdFacts,
    IncomeFacts,
    MemberFacts,
    Outcome,
    Verdict,
    evaluate,
)

POLICY = CampaignPolicy.default_2022()
DIBAO, MARGINAL = Outcome.DIBAO, Outcome.MARGINAL
NOT_ELIGIBLE, REVIEW = Outcome.NOT_ELIGIBLE, Outcome.MANUAL_REVIEW
COUNTED_KINDS = sorted(set(INCOME_KIND_LABELS) - DEFAULT_EXCLUDED_INCOME_KINDS - {"wage"})
_income_keys = itertools.count()


def person(key="a", **kw):
    return MemberFacts(key=key, name=kw.pop("name", f"成员{key}"), **kw)


def income(amount, member_key="a", kind="operating", **kw):
    key = kw.pop("key", f"i{next(_income_keys)}")
    return IncomeFacts(key=key, member_key=member_key, kind=kind, amount=Decimal(amount), **kw)


def household(*members, incomes=(), **kw):
    return HouseholdFacts(key="h1", members=members or (person(),), incomes=tuple(incomes), **kw)


def one_person(amount, **kw):
    """A one-member household with `amount` of annual operating income."""
    return household(person(), incomes=[income(amount)], **kw)


def codes(items):
    return {item.code for item in items}


# --- income test (洗府发〔2022〕156号 三(二); rules.md rule 5) -------------------------


@pytest.mark.parametrize(
    ("amount", "outcome", "code"),
    [
        ("0", DIBAO, "income_below_dibao"),
        ("6971.99", DIBAO, "income_below_dibao"),
        ("6972", REVIEW, "income_exactly_dibao_standard"),
        ("6972.01", MARGINAL, "income_in_marginal_band"),
        ("10457.99", MARGINAL, "income_in_marginal_band"),
        ("10458", NOT_ELIGIBLE, "income_exactly_marginal_line"),
        ("10458.01", NOT_ELIGIBLE, "income_above_marginal_line"),
    ],
)
def test_income_boundaries(amount, outcome, code):
    verdict = evaluate(one_person(amount), POLICY)
    assert verdict.outcome == outcome
    assert verdict.per_capita_income == Decimal(amount).quantize(Decimal("0.01"))
    assert verdict.reasons[0].code == code


@pytest.mark.parametrize(
    ("total", "outcome"),
    [("20915.97", DIBAO), ("20916", REVIEW), ("20916.03", MARGINAL), ("31374", NOT_ELIGIBLE)],
)
def test_income_is_divided_by_counted_members(total, outcome):
    facts = household(person("a"), person("b"), person("c"), incomes=[income(total)])
    verdict = evaluate(facts, POLICY)
    assert verdict.computation.member_count == 3
    assert verdict.outcome == outcome


@pytest.mark.parametrize(
    ("changes", "amount", "outcome"),
    [
        ({"dibao_standard_annual": Decimal("7200")}, "7199.99", DIBAO),
        ({"dibao_standard_annual": Decimal("7200")}, "7200", REVIEW),
        ({"marginal_multiplier": Decimal("2")}, "13943.99", MARGINAL),
        ({"marginal_multiplier": Decimal("2")}, "13944", NOT_ELIGIBLE),
    ],
)
def test_thresholds_come_from_policy(changes, amount, outcome):
    assert evaluate(one_person(amount), replace(POLICY, **changes)).outcome == outcome


def test_income_reason_formats_numbers_in_chinese():
    reason = evaluate(one_person("5800"), POLICY).reasons[0]
    assert reason.message == "人均年收入 5,800.00 元，低于低保标准 6,972.00 元"
    assert reason.numbers["per_capita_income"] == "5800.00"
    assert reason.numbers["dibao_standard"] == "6972.00"
    assert "第十二条" in reason.clause


def test_exact_standard_reason_explains_seed_and_national_readings():
    reason = evaluate(one_person("6972"), POLICY).reasons[0]
    assert "不满足低保“低于标准”" in reason.message
    assert "“高于标准”" in reason.message
    assert "第八条" in reason.message and "第八条" in reason.clause
    assert "三(二)" in reason.clause


def test_per_capita_income_rounds_half_up():
    facts = household(person("a"), person("b"), person("c"), incomes=[income("10.00")])
    assert evaluate(facts, POLICY).per_capita_income == Decimal("3.33")
    facts = household(person("a"), person("b"), incomes=[income("0.01")])
    assert evaluate(facts, POLICY).per_capita_income == Decimal("0.01")


@pytest.mark.parametrize(("amount", "months"), [("581", 1), ("1743", 3), ("3486", 6)])
def test_income_is_annualised_by_the_months_it_covers(amount, months):
    facts = household(incomes=[income(amount, period_months=months)])
    assert evaluate(facts, POLICY).computation.total_annual_income == Decimal("6972.00")


# --- income and member exclusions (《最低生活保障审核确认办法》第七条、第十三条) ----------


@pytest.mark.parametrize("kind", sorted(EXCLUDED_INCOME_KIND_LABELS))
def test_excluded_income_kind_is_recorded_but_not_counted(kind):
    facts = household(incomes=[income("5000", key="base"), income("100000", kind=kind, key="x")])
    verdict = evaluate(facts, POLICY)
    assert verdict.per_capita_income == Decimal("5000.00")
    line = next(i for i in verdict.computation.incomes if i.key == "x")
    assert (line.counted, line.reason) == (False, "excluded_kind")
    assert INCOME_KIND_LABELS[kind] in line.reason_label


@pytest.mark.parametrize("kind", COUNTED_KINDS)
def test_counted_non_wage_kinds_add_in_full(kind):
    facts = household(incomes=[income("5000"), income("1000", kind=kind)])
    verdict = evaluate(facts, POLICY)
    assert verdict.per_capita_income == Decimal("6000.00")
    assert verdict.computation.employment_cost_deduction == 0


def test_excluded_kinds_are_configurable():
    policy = replace(
        POLICY, excluded_income_kinds=POLICY.excluded_income_kinds - {"elderly_allowance"}
    )
    facts = household(incomes=[income("5000"), income("1200", kind="elderly_allowance")])
    assert evaluate(facts, POLICY).per_capita_income == Decimal("5000.00")
    assert evaluate(facts, policy).per_capita_income == Decimal("6200.00")


@pytest.mark.parametrize("reason", sorted(MEMBER_EXCLUSION_LABELS))
def test_member_exclusion_removes_member_and_their_income(reason):
    away = person("b", exclusion_reason=reason, exclusion_note="详见附件")
    facts = household(person("a"), away, incomes=[income("5000"), income("50000", "b", key="x")])
    verdict = evaluate(facts, POLICY)
    assert verdict.computation.member_count == 1
    assert verdict.per_capita_income == Decimal("5000.00")
    (excluded,) = verdict.computation.members_excluded
    assert (excluded.key, excluded.reason) == ("b", reason)
    assert excluded.reason_label == MEMBER_EXCLUSION_LABELS[reason] + "：详见附件"
    line = next(i for i in verdict.computation.incomes if i.key == "x")
    assert (line.counted, line.reason) == (False, "member_not_counted")


def test_member_not_living_together_is_not_counted():
    facts = household(person("a"), person("b", co_resident=False), incomes=[income("6000")])
    verdict = evaluate(facts, POLICY)
    assert verdict.per_capita_income == Decimal("6000.00")
    assert verdict.computation.members_excluded[0].reason == "not_co_resident"


def test_household_level_income_counts_for_counted_members():
    facts = household(person("a"), person("b"), incomes=[income("10000", member_key=None)])
    assert evaluate(facts, POLICY).per_capita_income == Decimal("5000.00")


# --- employment cost and imputation (第十三条; 渝府办发〔2017〕33号) --------------------


@pytest.mark.parametrize(
    ("rate", "deduction", "total"),
    [("0", "0.00", "12000.00"), ("0.30", "3000.00", "9000.00"), ("0.5", "5000.00", "7000.00")],
)
def test_employment_cost_is_deducted_from_wages_only(rate, deduction, total):
    policy = replace(POLICY, employment_cost_rate=Decimal(rate))
    facts = household(incomes=[income("10000", kind="wage"), income("2000")])
    comp = evaluate(facts, policy).computation
    assert comp.wage_gross == Decimal("10000.00")
    assert comp.employment_cost_deduction == Decimal(deduction)
    assert comp.total_annual_income == Decimal(total)


def test_employment_cost_reason_shows_rate_and_amount():
    verdict = evaluate(household(incomes=[income("10000", kind="wage")]), POLICY)
    reason = next(r for r in verdict.reasons if r.code == "employment_cost_deducted")
    assert "30%" in reason.message and "3,000.00" in reason.message


def test_stable_job_without_proof_imputes_minimum_wage_then_deducts():
    verdict = evaluate(household(person(stable_employment_no_proof=True)), POLICY)
    comp = verdict.computation
    (imputed,) = comp.imputed_incomes
    assert imputed.annual_amount == POLICY.minimum_wage_monthly * 12
    assert comp.employment_cost_deduction == Decimal("7200.00")
    assert comp.total_annual_income == Decimal("16800.00")
    assert "imputed_minimum_wage" in codes(verdict.reasons)


@pytest.mark.parametrize(
    "facts",
    [
        household(person(stable_employment_no_proof=True), incomes=[income("1000", kind="wage")]),
        household(
            person("a"), person("b", stable_employment_no_proof=True, exclusion_reason="prison")
        ),
    ],
    ids=["has-wage-record", "member-excluded"],
)
def test_no_imputation_when_wage_is_known_or_member_not_counted(facts):
    assert evaluate(facts, POLICY).computation.imputed_incomes == ()


# --- assets and consumption (rules.md §2.2, rule 8): flags, never silent rejection ------


ASSET_CASES = [
    ({"financial_assets": Decimal("20916.01")}, "asset_financial_over_limit"),
    ({"vehicle_kinds": ("car",)}, "asset_vehicle_not_exempt"),
    ({"vehicle_kinds": ("truck", "motorcycle")}, "asset_vehicle_not_exempt"),
    ({"vehicle_kinds": ("boat",)}, "asset_vehicle_not_exempt"),
    ({"vehicle_kinds": ("farm_machinery_large",)}, "asset_vehicle_not_exempt"),
    ({"house_count": 2}, "asset_house_count"),
    ({"recent_house_purchase": True}, "asset_recent_house_purchase"),
    ({"non_residential_property": True}, "asset_non_residential_property"),
    ({"business_registrations": 1}, "asset_business_registration"),
    ({"employs_others": True}, "asset_employs_others"),
    ({"high_fee_schooling": True}, "consumption_high_fee_schooling"),
    ({"high_consumption": True}, "consumption_high"),
]


@pytest.mark.parametrize(("assets", "code"), ASSET_CASES)
@pytest.mark.parametrize(
    ("amount", "income_code"), [("3000", "income_below_dibao"), ("8000", "income_in_marginal_band")]
)
def test_asset_flag_sends_eligible_household_to_review(assets, code, amount, income_code):
    verdict = evaluate(one_person(amount, assets=AssetFacts(**assets)), POLICY)
    assert verdict.outcome == REVIEW
    assert codes(verdict.flags) == {code}
    assert verdict.reasons[0].code == income_code
    assert "需人工复核" in verdict.flags[0].message
    assert not verdict.flags[0].blocking


@pytest.mark.parametrize(
    "assets",
    [
        {"financial_assets": Decimal("20916")},
        {"vehicle_kinds": ("motorcycle", "tricycle", "disabled_mobility")},
        {"house_count": 1},
    ],
)
def test_assets_within_limits_raise_no_flag(assets):
    verdict = evaluate(one_person("3000", assets=AssetFacts(**assets)), POLICY)
    assert (verdict.outcome, verdict.flags) == (DIBAO, ())


@pytest.mark.parametrize(("assets", "flagged"), [("41832", False), ("41832.02", True)])
def test_financial_asset_limit_is_per_counted_member(assets, flagged):
    facts = household(
        person("a"),
        person("b"),
        person("c", exclusion_reason="missing"),
        assets=AssetFacts(financial_assets=Decimal(assets)),
    )
    flags = codes(evaluate(facts, POLICY).flags)
    assert ("asset_financial_over_limit" in flags) is flagged


def test_asset_rules_come_from_policy():
    policy = replace(POLICY, exempt_vehicle_kinds=frozenset({"car"}), house_count_limit=3)
    assets = AssetFacts(vehicle_kinds=("car",), house_count=2)
    assert evaluate(one_person("3000", assets=assets), policy).outcome == DIBAO


def test_asset_flag_does_not_change_an_income_rejection():
    verdict = evaluate(one_person("20000", assets=AssetFacts(vehicle_kinds=("car",))), POLICY)
    assert verdict.outcome == NOT_ELIGIBLE
    assert codes(verdict.flags) == {"asset_vehicle_not_exempt"}


# --- 户籍 and exclusivity (洗府发〔2022〕156号 三(二); rules.md rule 6, 20) --------------


@pytest.mark.parametrize(
    ("amount", "outcome", "flagged"), [("8000", REVIEW, True), ("3000", DIBAO, False)]
)
def test_marginal_needs_chongqing_hukou_for_every_counted_member(amount, outcome, flagged):
    total = str(Decimal(amount) * 2)
    facts = household(person("a"), person("b", chongqing_hukou=False), incomes=[income(total)])
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == outcome
    assert ("marginal_non_chongqing_hukou" in codes(verdict.flags)) is flagged


def test_hukou_of_excluded_member_does_not_matter():
    away = person("b", chongqing_hukou=False, exclusion_reason="prison")
    assert (
        evaluate(household(person("a"), away, incomes=[income("8000")]), POLICY).outcome == MARGINAL
    )


@pytest.mark.parametrize("amount", ["3000", "8000"])
def test_household_partly_on_dibao_needs_review(amount):
    total = str(Decimal(amount) * 2)
    facts = household(person("a", on_dibao=True), person("b"), incomes=[income(total)])
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == REVIEW
    assert "partial_household_on_dibao" in codes(verdict.flags)


@pytest.mark.parametrize(
    ("amount", "outcome"), [("3000", DIBAO), ("8000", MARGINAL), ("20000", NOT_ELIGIBLE)]
)
def test_whole_household_on_dibao_is_a_recheck_and_income_verdict_stands(amount, outcome):
    facts = replace(one_person(amount), members=(person(on_dibao=True),))
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == outcome
    assert verdict.flags == ()
    assert "dibao_recheck" in codes(verdict.reasons)


@pytest.mark.parametrize("amount", ["3000", "8000"])
def test_extreme_poverty_member_cannot_also_be_dibao_or_marginal(amount):
    facts = replace(one_person(amount), members=(person(is_extreme_poverty=True),))
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == REVIEW
    assert "member_is_extreme_poverty" in codes(verdict.flags)


def test_dibao_applies_to_the_whole_family():
    facts = household(person("a"), person("b"), person("c"), incomes=[income("9000")])
    verdict = evaluate(facts, POLICY)
    reason = next(r for r in verdict.reasons if r.code == "whole_family_dibao")
    assert "3 名" in reason.message


# --- 单人户 (洗府发〔2022〕156号 三(二); rules.md rule 7) -------------------------------


def single_person_household(rest_total, start=date(2021, 6, 1), **kw):
    sick = person(
        "a", on_dibao=True, dibao_single_person=True, dibao_start=start, disability_grade=1
    )
    incomes = [income("100000", "a", key="own"), income(rest_total, "b")]
    return household(sick, person("b"), person("c"), incomes=incomes, **kw)


@pytest.mark.parametrize(
    ("rest_total", "kw", "outcome", "blocked"),
    [
        ("16000", {}, MARGINAL, False),
        ("24000", {}, REVIEW, True),
        ("10000", {}, REVIEW, True),
        ("24000", {"currently_marginal": True}, NOT_ELIGIBLE, False),
        ("24000", {"start": date(2020, 12, 31)}, NOT_ELIGIBLE, False),
        ("24000", {"start": date(2021, 1, 1)}, REVIEW, True),
        ("24000", {"start": None}, REVIEW, True),
    ],
)
def test_single_person_family_must_be_marginal(rest_total, kw, outcome, blocked):
    verdict = evaluate(single_person_household(rest_total, **kw), POLICY)
    assert verdict.outcome == outcome
    flags = [f for f in verdict.flags if f.code == "single_person_family_not_marginal"]
    assert bool(flags) is blocked
    assert all(f.blocking for f in flags)


def test_single_person_is_assessed_apart_from_the_rest():
    verdict = evaluate(single_person_household("16000"), POLICY)
    comp = verdict.computation
    assert comp.member_count == 2
    assert verdict.per_capita_income == Decimal("8000.00")
    assert comp.members_excluded[0].reason == "single_person_dibao"
    own = next(i for i in comp.incomes if i.key == "own")
    assert (own.counted, own.reason) == (False, "single_person_income")
    assert "single_person_split" in codes(verdict.reasons)


# --- 特困 candidates (《特困人员认定办法》第五、六、八条; rules.md §8.1) --------------


@pytest.mark.parametrize(
    ("member", "candidate"),
    [
        ({"birth_date": date(1950, 3, 1)}, True),
        ({"birth_date": date(1962, 10, 25)}, True),
        ({"birth_date": date(1962, 10, 26)}, False),
        ({"birth_date": date(2006, 10, 26)}, True),
        ({"birth_date": date(2006, 10, 25)}, False),
        ({"disability_kind": "intellectual", "disability_grade": 3}, True),
        ({"disability_kind": "psychiatric", "disability_grade": 3}, True),
        ({"disability_kind": "psychiatric", "disability_grade": 4}, False),
        ({"disability_kind": "physical", "disability_grade": 2}, True),
        ({"disability_kind": "physical", "disability_grade": 3}, False),
        ({"disability_kind": "visual", "disability_grade": 1}, True),
        ({"disability_kind": "visual", "disability_grade": 2}, False),
        ({"disability_kind": "hearing", "disability_grade": 1}, False),
        ({"birth_date": date(1950, 3, 1), "has_able_supporter": True}, False),
        ({"birth_date": date(1950, 3, 1), "has_able_supporter": None}, False),
        ({"birth_date": date(1950, 3, 1), "is_extreme_poverty": True}, False),
    ],
)
def test_extreme_poverty_candidates(member, candidate):
    member = {"has_able_supporter": False} | member
    verdict = evaluate(household(person("a", **member), incomes=[income("1000")]), POLICY)
    assert (verdict.extreme_poverty_candidates == ("a",)) is candidate
    assert ("extreme_poverty_candidate" in codes(verdict.flags)) is candidate
    assert verdict.outcome == (REVIEW if candidate or member.get("is_extreme_poverty") else DIBAO)


def test_no_extreme_poverty_candidate_when_income_not_below_standard():
    elder = person("a", birth_date=date(1940, 1, 1), has_able_supporter=False)
    verdict = evaluate(household(elder, incomes=[income("6972")]), POLICY)
    assert verdict.extreme_poverty_candidates == ()


# --- benefit amount (第二十三条; rules.md rule 19) ------------------------------------


@pytest.mark.parametrize(
    ("members", "total", "amount"),
    [(1, "0", "581"), (3, "9000", "993"), (2, "6971.98", "581"), (4, "27887.96", "0")],
)
def test_monthly_amount_uses_gap_method(members, total, amount):
    facts = household(*(person(str(i)) for i in range(members)), incomes=[income(total, "0")])
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == DIBAO
    assert verdict.monthly_amount == Decimal(amount)
    assert "benefit_gap_method" in codes(verdict.reasons)


@pytest.mark.parametrize("amount", ["6972", "8000", "20000"])
def test_no_monthly_amount_unless_dibao(amount):
    assert evaluate(one_person(amount), POLICY).monthly_amount is None


# --- priority groups (洗府发〔2022〕156号 三(一); rules.md §10) --------------------------

OLD = date(1950, 1, 1)
GROUP_CASES = [
    (2, {"is_monitoring": True}, {}, [], True),
    (2, {"is_monitoring": True, "risk_cleared": True}, {}, [], False),
    (3, {"is_tuopin": True, "tuopin_net_income_2021": Decimal("9999.99")}, {}, [], True),
    (3, {"is_tuopin": True, "tuopin_net_income_2021": Decimal("10000")}, {}, [], False),
    (3, {"tuopin_net_income_2021": Decimal("5000")}, {}, [], False),
    (4, {"is_tuopin": True, "tuopin_net_income_2022_estimate": Decimal("9999.99")}, {}, [], True),
    (4, {"is_tuopin": True, "tuopin_net_income_2022_estimate": Decimal("10000")}, {}, [], False),
    (5, {"currently_marginal": True}, {}, [], True),
    (5, {}, {"on_marginal": True}, [], True),
    (6, {"rigid_expenses": Decimal("6000")}, {}, ["10000"], True),
    (6, {"rigid_expenses": Decimal("5999.99")}, {}, ["10000"], False),
    (6, {"rigid_expenses": Decimal("9000")}, {}, ["10458"], False),
    (7, {}, {"disability_kind": "hearing", "disability_grade": 4}, [], True),
    (7, {}, {"serious_illness": True}, [], True),
    (7, {}, {"student": True}, [], True),
    (7, {"disaster_loss": True}, {}, [], True),
    (8, {}, {"birth_date": OLD, "lives_alone": True, "supporters_work_away": True}, [], True),
    (8, {}, {"birth_date": OLD, "lives_alone": True}, [], False),
    (
        8,
        {},
        {"birth_date": date(1970, 1, 1), "lives_alone": True, "supporters_work_away": True},
        [],
        False,
    ),
    (9, {}, {"unemployed_due_to_covid": True, "months_without_income": 3}, [], True),
    (9, {}, {"unemployed_due_to_covid": True, "months_without_income": 2}, [], False),
    (9, {"recorded_groups": frozenset({9})}, {}, [], True),
    (10, {}, {"employed": True, "works_away": True}, ["wage"], True),
    (10, {}, {"employed": True}, ["wage"], False),
    (12, {"dibao_petition_count": 2}, {}, [], True),
    (12, {"dibao_petition_count": 1}, {}, [], False),
]


@pytest.mark.parametrize(("group", "facts_kw", "member_kw", "incomes", "expected"), GROUP_CASES)
def test_priority_groups(group, facts_kw, member_kw, incomes, expected):
    lines = [income("12000", kind="wage") if i == "wage" else income(i) for i in incomes]
    verdict = evaluate(household(person(**member_kw), incomes=lines, **facts_kw), POLICY)
    assert (group in verdict.priority_groups) is expected
    assert (f"priority_group_{group}" in codes(verdict.reasons)) is expected


def test_no_groups_for_an_ordinary_household():
    assert evaluate(one_person("3000"), POLICY).priority_groups == frozenset()


def test_only_groups_1_9_11_are_taken_as_recorded():
    facts = one_person("3000", recorded_groups=frozenset({1, 2, 7, 11}))
    assert evaluate(facts, POLICY).priority_groups == frozenset({1, 11})


def test_group_10_needs_exactly_one_worker_and_reports_the_deduction():
    away = person("a", employed=True, works_away=True)
    facts = household(away, person("b"), incomes=[income("12000", kind="wage")])
    reason = next(r for r in evaluate(facts, POLICY).reasons if r.code == "priority_group_10")
    assert "3,600.00" in reason.message
    facts = replace(facts, members=(away, person("b", employed=True)))
    assert 10 not in evaluate(facts, POLICY).priority_groups


@pytest.mark.parametrize(
    ("net", "amount", "outcome"), [("3000", "20000", NOT_ELIGIBLE), ("50000", "3000", DIBAO)]
)
def test_tuopin_net_income_never_decides_dibao(net, amount, outcome):
    facts = one_person(amount, is_tuopin=True, tuopin_net_income_2021=Decimal(net))
    assert evaluate(facts, POLICY).outcome == outcome


# --- 回头看 and near-line ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"dibao_exit_dates": (date(2021, 1, 1),)}, "lookback_dibao_exit"),
        ({"dibao_exit_dates": (date(2020, 12, 31),)}, None),
        ({"refused_application_dates": (date(2022, 3, 1),)}, "lookback_refused_application"),
        ({"refused_application_dates": (date(2020, 5, 1),)}, None),
    ],
)
def test_lookback(kw, code):
    verdict = evaluate(one_person("20000", **kw), POLICY)
    assert verdict.lookback is (code is not None)
    found = codes(verdict.reasons) & {"lookback_dibao_exit", "lookback_refused_application"}
    assert found == ({code} if code else set())


@pytest.mark.parametrize(
    ("amount", "near"),
    [
        ("6472", True),
        ("6471.99", False),
        ("7472", True),
        ("7472.01", False),
        ("9958", True),
        ("10958", True),
        ("10958.01", False),
    ],
)
def test_near_line_uses_band_around_both_lines(amount, near):
    assert evaluate(one_person(amount), POLICY).near_line is near


# --- edge cases, collection, serialisation ----------------------------------------------


def test_no_counted_members_needs_review_without_dividing_by_zero():
    facts = household(
        person("a", exclusion_reason="prison"),
        incomes=[income("1000")],
        assets=AssetFacts(financial_assets=Decimal("99999")),
    )
    verdict = evaluate(facts, POLICY)
    assert verdict.outcome == REVIEW
    assert verdict.per_capita_income is None
    assert verdict.reasons[0].code == "no_counted_members"
    assert (verdict.monthly_amount, verdict.near_line) == (None, False)


def test_all_applicable_reasons_are_collected():
    facts = one_person(
        "3000",
        assets=AssetFacts(vehicle_kinds=("car",), high_consumption=True),
        dibao_exit_dates=(date(2021, 5, 1),),
        dibao_petition_count=3,
        is_monitoring=True,
    )
    verdict = evaluate(facts, POLICY)
    assert {
        "income_below_dibao",
        "lookback_dibao_exit",
        "priority_group_2",
        "priority_group_12",
    } <= codes(verdict.reasons)
    assert codes(verdict.flags) == {"asset_vehicle_not_exempt", "consumption_high"}


def rich_verdict():
    facts = household(
        person("a", stable_employment_no_proof=True, works_away=True),
        person("b", exclusion_reason="other", exclusion_note="长期外出"),
        person("c", birth_date=date(1940, 1, 1), has_able_supporter=False, chongqing_hukou=False),
        incomes=[income("600", "c", kind="elderly_allowance"), income("1000", "b")],
        assets=AssetFacts(vehicle_kinds=("car",)),
        dibao_exit_dates=(date(2021, 5, 1),),
    )
    return evaluate(facts, POLICY)


def test_verdict_round_trips_through_json():
    verdict = rich_verdict()
    data = json.loads(json.dumps(verdict.to_dict(), ensure_ascii=False))
    assert data["per_capita_income"] == str(verdict.per_capita_income)
    assert data["ruleset_version"] == RULESET_VERSION
    assert Verdict.from_dict(data) == verdict


def test_round_trip_keeps_none_and_monthly_amount():
    for facts in (household(person(exclusion_reason="missing")), one_person("0")):
        verdict = evaluate(facts, POLICY)
        assert Verdict.from_dict(json.loads(json.dumps(verdict.to_dict()))) == verdict


@pytest.mark.parametrize(
    "build",
    [
        lambda: IncomeFacts(key="x", member_key=None, kind="wage", amount=100.0),
        lambda: IncomeFacts(key="x", member_key=None, kind="lottery", amount=Decimal(1)),
        lambda: IncomeFacts(
            key="x", member_key=None, kind="wage", amount=Decimal(1), period_months=0
        ),
        lambda: household(person("a"), incomes=[income("1", "zz")]),
        lambda: household(person("a"), person("a")),
        lambda: person(exclusion_reason="holiday"),
        lambda: person(disability_grade=5),
        lambda: replace(POLICY, employment_cost_rate=Decimal("1")),
    ],
)
def test_invalid_facts_are_rejected(build):
    with pytest.raises(ValueError):
        build()


def test_labels_cover_every_code():
    assert set(OUTCOME_LABELS) == set(Outcome)
    assert sorted(PRIORITY_GROUP_LABELS) == list(range(1, 13))
    assert {"motorcycle", "tricycle", "disabled_mobility"} <= set(VEHICLE_KIND_LABELS)
    assert rich_verdict().ruleset_version == RULESET_VERSION


# --- properties ------------------------------------------------------------------------

RANK = {DIBAO: 2, MARGINAL: 1, NOT_ELIGIBLE: 0}
money = st.decimals(min_value=0, max_value=30000, places=2)
rarely = st.sampled_from([False, False, False, False, True])


@st.composite
def members(draw, key, imputation):
    disability = draw(st.sampled_from([None, None, "physical", "intellectual", "visual"]))
    return MemberFacts(
        key=key,
        name=f"成员{key}",
        co_resident=not draw(rarely),
        exclusion_reason=draw(st.sampled_from([None] * 6 + sorted(MEMBER_EXCLUSION_LABELS))),
        birth_date=draw(st.none() | st.dates(date(1925, 1, 1), date(2022, 10, 1))),
        chongqing_hukou=not draw(rarely),
        disability_kind=disability,
        disability_grade=draw(st.integers(1, 4)) if disability else None,
        serious_illness=draw(rarely),
        student=draw(rarely),
        employed=draw(st.booleans()),
        works_away=draw(st.booleans()),
        stable_employment_no_proof=draw(rarely) if imputation else False,
        unemployed_due_to_covid=draw(rarely),
        months_without_income=draw(st.integers(0, 6)),
        lives_alone=draw(rarely),
        has_able_supporter=draw(st.sampled_from([None, True, False])),
        supporters_work_away=draw(st.booleans()),
        on_dibao=draw(rarely),
        dibao_single_person=draw(rarely),
        dibao_start=draw(st.none() | st.dates(date(2019, 1, 1), date(2022, 10, 1))),
        is_extreme_poverty=draw(rarely),
    )


@st.composite
def households(draw, imputation=True):
    people = [draw(members(f"m{i}", imputation)) for i in range(draw(st.integers(1, 5)))]
    owners = st.sampled_from([None] + [m.key for m in people])
    kinds = st.sampled_from(sorted(INCOME_KIND_LABELS))
    incomes = [
        IncomeFacts(
            f"i{i}", draw(owners), draw(kinds), draw(money), draw(st.sampled_from([1, 3, 6, 12]))
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    assets = AssetFacts(
        financial_assets=draw(money),
        vehicle_kinds=tuple(
            draw(st.lists(st.sampled_from(sorted(VEHICLE_KIND_LABELS)), max_size=1))
        ),
        house_count=draw(st.integers(0, 2)),
        high_consumption=draw(rarely),
    )
    return HouseholdFacts(
        key="h",
        members=tuple(people),
        incomes=tuple(incomes),
        assets=assets,
        rigid_expenses=draw(money),
        currently_marginal=draw(rarely),
        dibao_exit_dates=tuple(
            draw(st.lists(st.dates(date(2019, 1, 1), date(2022, 10, 1)), max_size=1))
        ),
    )


@st.composite
def with_more_income(draw, facts):
    """Raise one existing amount, or add a non-wage item (a new wage could replace an imputation)."""
    extra = draw(money)
    if facts.incomes and draw(st.booleans()):
        i = draw(st.integers(0, len(facts.incomes) - 1))
        raised = replace(facts.incomes[i], amount=facts.incomes[i].amount + extra)
        return replace(facts, incomes=facts.incomes[:i] + (raised,) + facts.incomes[i + 1 :])
    owner = draw(st.sampled_from([None] + [m.key for m in facts.members]))
    kind = draw(st.sampled_from(sorted(set(INCOME_KIND_LABELS) - {"wage"})))
    return replace(facts, incomes=facts.incomes + (IncomeFacts("new", owner, kind, extra),))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_more_income_never_improves_the_outcome(data):
    """Rank dibao > marginal > not_eligible; manual_review is a hold, not a rank, so skip it."""
    facts = data.draw(households())
    before = evaluate(facts, POLICY)
    after = evaluate(data.draw(with_more_income(facts)), POLICY)
    assert after.computation.total_annual_income >= before.computation.total_annual_income
    if before.per_capita_income is not None:
        assert after.per_capita_income >= before.per_capita_income
    if REVIEW not in (before.outcome, after.outcome):
        assert RANK[after.outcome] <= RANK[before.outcome]


@settings(max_examples=300, deadline=None)
@given(money, money)
def test_more_income_never_improves_a_clean_household(amount, extra):
    """The same property where no flag interferes, so every pair is compared."""
    before, after = (evaluate(one_person(str(a)), POLICY).outcome for a in (amount, amount + extra))
    if REVIEW not in (before, after):
        assert RANK[after] <= RANK[before]
    else:
        assert Decimal("6972") in (amount, amount + extra)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_member_and_income_order_never_changes_the_verdict(data):
    facts = data.draw(households())
    shuffled = replace(
        facts,
        members=tuple(data.draw(st.permutations(facts.members))),
        incomes=tuple(data.draw(st.permutations(facts.incomes))),
    )
    assert evaluate(shuffled, POLICY) == evaluate(facts, POLICY)


@settings(max_examples=200, deadline=None)
@given(households(imputation=False), st.decimals(min_value="0.01", max_value=10, places=2))
def test_scaling_every_income_scales_per_capita_income(facts, k):
    """Each cent rounding (per line, deduction, division) may add 0.005 × (1 + k)."""
    scaled = replace(facts, incomes=tuple(replace(i, amount=i.amount * k) for i in facts.incomes))
    before, after = evaluate(facts, POLICY), evaluate(scaled, POLICY)
    if before.per_capita_income is None:
        assert after.per_capita_income is None
        return
    tolerance = Decimal("0.01") * (len(facts.incomes) + 1) * (1 + k)
    assert abs(after.per_capita_income - before.per_capita_income * k) <= tolerance
