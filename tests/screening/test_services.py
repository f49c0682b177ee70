"""Screening services on the database: facts from the registry, stored verdicts, bulk runs."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

from households.models import Member
from screening import services
from screening.models import ScreeningResult, ScreeningRun
from screening.registry import facts_for_households, policy_from_campaign
from screening.rules import RULESET_VERSION, Outcome, evaluate
from screening.verdicts import plain
from tests.factories import AssistanceFactory, IncomeFactory, MemberFactory
from tests.screening.conftest import TODAY
from tests.screening.factories import (
    ApplicationFactory,
    AssetFactory,
    ExpenseFactory,
    GroupRecordFactory,
    family,
)
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_policy_comes_from_the_campaign(campaign):
    policy = policy_from_campaign(campaign, as_of=TODAY)
    assert policy.dibao_standard_annual == Decimal("6972")
    assert policy.marginal_line == Decimal("10458.00")
    assert policy.as_of == TODAY
    assert "basic_pension" in policy.excluded_income_kinds
    assert "car" not in policy.exempt_vehicle_kinds


def test_policy_overrides_accept_a_monthly_standard_and_reject_bad_numbers(campaign):
    policy = policy_from_campaign(
        campaign, as_of=TODAY, overrides={"dibao_standard_monthly": Decimal("600")}
    )
    assert policy.dibao_standard_annual == Decimal("7200")
    with pytest.raises(ValueError, match="边缘倍数必须大于1"):
        policy_from_campaign(campaign, as_of=TODAY, overrides={"marginal_multiplier": 1})


def test_empty_campaign_lists_mean_the_national_defaults(campaign):
    campaign.excluded_income_kinds = []
    campaign.exempt_vehicle_kinds = []
    policy = policy_from_campaign(campaign, as_of=TODAY)
    assert "basic_pension" in policy.excluded_income_kinds
    assert "motorcycle" in policy.exempt_vehicle_kinds


def test_facts_map_members_incomes_assets_histories_and_groups(campaign, village_a):
    household = family(
        village_a,
        members=0,
        monitoring_type="unstable",
        is_tuopin=True,
        tuopin_net_income_2021=Decimal("9000"),
        petition_count=3,
        high_consumption=True,
    )
    head = MemberFactory(household=household, name="张大", birth_date=None, works_away=True)
    jailed = MemberFactory(household=household, name="张二", relation="child", exclusion="prison")
    single = MemberFactory(
        household=household,
        name="张三",
        relation="child",
        disability_kind="intellectual",
        disability_grade=2,
        student_level="senior",
    )
    IncomeFactory(household=household, member=head, kind="wage", amount=Decimal("12000"))
    IncomeFactory(household=household, member=jailed, kind="operating", amount=Decimal("500"))
    IncomeFactory(household=household, member=None, kind="basic_pension", amount=Decimal("1200"))
    AssetFactory(household=household, kind="deposit", value=Decimal("3000"))
    AssetFactory(household=household, kind="securities", value=Decimal("2000"))
    AssetFactory(household=household, kind="vehicle", vehicle_kind="car", value=Decimal("30000"))
    AssetFactory(household=household, kind="vehicle", vehicle_kind="", value=Decimal("100"))
    AssetFactory(household=household, kind="house", recent_purchase=True)
    AssetFactory(household=household, kind="business", employs_others=True)
    ExpenseFactory(household=household, amount=Decimal("4000"))
    ExpenseFactory(household=household, amount=Decimal("1500"))
    AssistanceFactory(member=single, kind="dibao_single", start_date=date(2021, 3, 1))
    AssistanceFactory(
        member=head, kind="dibao", start_date=date(2019, 1, 1), end_date=date(2021, 6, 30)
    )
    AssistanceFactory(member=head, kind="marginal", start_date=date(2021, 7, 1))
    ApplicationFactory(household=household, applied_on=date(2022, 3, 1))
    ApplicationFactory(household=household, applied_on=date(2022, 4, 1), kind="marginal")
    GroupRecordFactory(household=household, group=11)

    facts = facts_for_households([household.pk], as_of=TODAY)[household.pk]

    by_name = {m.name: m for m in facts.members}
    assert by_name["张二"].exclusion_reason == "prison"
    assert by_name["张三"].on_dibao and by_name["张三"].dibao_single_person
    assert by_name["张三"].dibao_start == date(2021, 3, 1)
    assert by_name["张三"].student and by_name["张三"].disability_kind == "intellectual"
    assert by_name["张大"].on_marginal and not by_name["张大"].on_dibao
    assert facts.currently_marginal
    assert facts.dibao_exit_dates == (date(2021, 6, 30),)
    # 回头看 covers refused 低保 and 低保边缘 applications alike (issue 16 point 4).
    assert facts.refused_application_dates == (date(2022, 3, 1), date(2022, 4, 1))
    kinds = {i.kind: i for i in facts.incomes}
    assert kinds["basic_pension"].member_key is None
    assert kinds["wage"].amount == Decimal("12000")
    assert facts.assets.financial_assets == Decimal("5000")
    assert sorted(facts.assets.vehicle_kinds) == ["car", "未注明类型的车辆"]
    assert facts.assets.house_count == 1 and facts.assets.recent_house_purchase
    assert facts.assets.business_registrations == 1 and facts.assets.employs_others
    assert facts.assets.high_consumption and not facts.assets.high_fee_schooling
    assert facts.rigid_expenses == Decimal("5500")
    assert facts.is_monitoring and not facts.risk_cleared
    assert facts.is_tuopin and facts.tuopin_net_income_2021 == Decimal("9000")
    assert facts.dibao_petition_count == 3
    assert facts.recorded_groups == frozenset({11})

    verdict = evaluate(facts, policy_from_campaign(campaign, as_of=TODAY))
    comp = verdict.computation
    assert [m.name for m in comp.members_counted] == ["张大"]
    assert {m.name: m.reason for m in comp.members_excluded} == {
        "张二": "prison",
        "张三": "single_person_dibao",
    }
    counted = {i.kind: i.counted for i in comp.incomes}
    assert counted == {"wage": True, "operating": False, "basic_pension": False}
    assert comp.employment_cost_deduction == Decimal("3600.00")
    assert verdict.per_capita_income == Decimal("8400.00")
    assert verdict.lookback
    assert {2, 3, 5, 11, 12} <= verdict.priority_groups
    assert "asset_vehicle_not_exempt" in {f.code for f in verdict.flags}


def test_screen_household_stores_the_verdict_with_version_and_parameters(campaign, village_a):
    household = family(village_a, income="5800")
    result = services.screen_household(household_id=household.pk)

    assert result.is_current and result.outcome == "dibao"
    assert result.per_capita_income == Decimal("4060.00")  # 5,800 less 30% employment cost
    assert result.ruleset_version == RULESET_VERSION
    assert result.params["dibao_standard_annual"] == "6972.00"
    assert result.params["as_of"] == "2022-10-25"
    assert result.run is None and result.member_count == 1
    facts = facts_for_households([household.pk], as_of=TODAY)[household.pk]
    expected = evaluate(facts, policy_from_campaign(campaign, as_of=TODAY)).to_dict()
    assert result.data == expected
    assert (
        "人均年收入 4,060.00 元，低于低保标准 6,972.00 元" in result.data["reasons"][0]["message"]
    )


def test_changing_the_standard_later_never_rewrites_an_earlier_verdict(campaign, village_a):
    household = family(village_a, income="10000")  # 7,000 after the 30% employment cost
    first = services.screen_household(household_id=household.pk)
    assert first.outcome == "marginal"

    campaign.dibao_standard_monthly = Decimal("600")
    campaign.save()
    second = services.screen_household(household_id=household.pk)

    first.refresh_from_db()
    assert (first.outcome, first.is_current) == ("marginal", False)
    assert first.params["dibao_standard_annual"] == "6972.00"
    assert first.data["outcome"] == "marginal"
    assert (second.outcome, second.is_current) == ("dibao", True)
    assert second.params["dibao_standard_annual"] == "7200.00"
    assert second.changed and second.previous_outcome == "marginal"


def test_rescreening_unchanged_data_keeps_the_verdict_unless_forced(campaign, village_a):
    household = family(village_a, income="5800")
    first = services.screen_household(household_id=household.pk)
    again = services.screen_household(household_id=household.pk)
    assert again.pk == first.pk
    assert ScreeningResult.objects.filter(household=household).count() == 1

    run = services.screen_households(campaign=campaign, force=True)
    assert run.evaluated_count == 1
    assert ScreeningResult.objects.filter(household=household).count() == 2
    current = ScreeningResult.objects.get(household=household, is_current=True)
    assert current.run == run and not current.changed


def test_a_confirming_rescreen_clears_changed(campaign, village_a):
    household = family(village_a, income="10000")
    services.screen_household(household_id=household.pk)
    campaign.dibao_standard_monthly = Decimal("600")
    campaign.save()
    assert services.screen_household(household_id=household.pk).changed
    result = services.screen_household(household_id=household.pk)
    assert not result.changed and result.previous_outcome == "marginal"


def test_bulk_screening_stores_one_current_result_per_household_and_audits_the_run(
    campaign, village_a, village_b, office_user
):
    poor = [family(village_a, income="3000") for _ in range(3)]
    family(village_a, income="50000")
    other = family(village_b, income="3000")
    seen = []

    run = services.screen_households(
        campaign=campaign,
        village=village_a,
        actor=office_user,
        progress=lambda d, t: seen.append((d, t)),
    )

    assert run.household_count == 4 and run.evaluated_count == 4
    assert run.outcome_counts == {"dibao": 3, "not_eligible": 1}
    assert run.finished_at is not None and run.scope_label == "保合村"
    assert seen == [(4, 4)]
    assert set(
        ScreeningResult.objects.filter(is_current=True, outcome="dibao").values_list(
            "household_id", flat=True
        )
    ) == {h.pk for h in poor}
    assert not ScreeningResult.objects.filter(household=other).exists()
    audit = AuditEvent.objects.filter(model="screening.ScreeningRun")
    assert audit.count() == 1
    assert audit.get().actor == office_user
    assert "低保 3 户" in audit.get().summary


def test_a_runs_verdicts_share_the_runs_policy_snapshot(campaign, village_a):
    """Stored once on the run, not on every verdict; each verdict still reads its own."""
    household = family(village_a, income="3000")
    run = services.screen_households(campaign=campaign, force=True)
    result = ScreeningResult.objects.get(household=household, is_current=True)
    assert result.run == run and result.params == {}
    assert result.policy_params == run.params
    assert result.policy_params["dibao_standard_annual"] == "6972.00"
    # A re-screen after a save has no run: it keeps its own snapshot.
    IncomeFactory(household=household, amount=Decimal("100"))
    alone = services.screen_household(household_id=household.pk)
    assert alone.run is None and alone.params == alone.policy_params
    assert alone.params["dibao_standard_annual"] == "6972.00"
    # The run cannot go while its verdicts read their snapshot from it.
    with pytest.raises(ProtectedError):
        run.delete()


def _screen_n(campaign, village, n) -> int:
    for _ in range(n):
        household = family(village, income="3000", members=2)
        AssetFactory(household=household, kind="vehicle", vehicle_kind="car")
        AssistanceFactory(member=household.members.first())
    ScreeningResult.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        services.screen_households(campaign=campaign)
    return len(ctx.captured_queries)


def test_bulk_screening_query_count_does_not_grow_with_households(campaign, village_a):
    """Within one chunk (10,000 households) the count is fixed; each further chunk adds the same."""
    small = _screen_n(campaign, village_a, 20)
    ScreeningResult.objects.all().delete()
    ScreeningRun.objects.all().delete()
    large = _screen_n(campaign, village_a, 180)
    assert ScreeningResult.objects.filter(is_current=True).count() == 200
    assert small == large


def test_each_further_chunk_adds_the_same_queries(campaign, village_a, monkeypatch):
    """The chunked path (SQLite; PostgreSQL screens a whole scope in one statement)."""
    from screening import registry, setbased

    monkeypatch.setattr(setbased, "available", lambda: False)
    monkeypatch.setattr(registry, "CHUNK_SIZE", 10)
    one_chunk = _screen_n(campaign, village_a, 10)
    ScreeningResult.objects.all().delete()
    ScreeningRun.objects.all().delete()
    two_chunks = _screen_n(campaign, village_a, 5)  # 15 households
    ScreeningResult.objects.all().delete()
    ScreeningRun.objects.all().delete()
    three_chunks = _screen_n(campaign, village_a, 10)  # 25 households
    assert two_chunks - one_chunk == three_chunks - two_chunks > 0


def test_bulk_screening_of_changed_data_uses_one_update_per_chunk(campaign, village_a):
    households = [family(village_a, income="3000") for _ in range(30)]
    services.screen_households(campaign=campaign)
    for h in households:
        IncomeFactory(household=h, amount=Decimal("60000"))
    with CaptureQueriesContext(connection) as ctx:
        run = services.screen_households(campaign=campaign)
    updates = [q for q in ctx.captured_queries if q["sql"].startswith('UPDATE "screening_')]
    assert run.changed_count == 30
    assert len(updates) == 2  # mark previous not current + finish the run
    assert ScreeningResult.objects.filter(is_current=True, outcome="not_eligible").count() == 30


def test_impossible_registry_data_becomes_a_review_verdict_not_a_crash(campaign, village_a):
    household = family(village_a, income="3000")
    Member.objects.filter(household=household).update(disability_grade=7)
    result = services.screen_household(household_id=household.pk)
    assert result.outcome == "manual_review"
    assert result.flag_codes == ",data_error,"
    assert "残疾等级必须为1至4级" in result.data["reasons"][0]["message"]


def test_household_without_members_goes_to_review(campaign, village_a):
    household = family(village_a, members=0)
    result = services.screen_household(household_id=household.pk)
    assert result.outcome == Outcome.MANUAL_REVIEW
    assert result.per_capita_income is None


def test_household_outside_any_active_campaign_is_not_screened(campaign, village_a):
    campaign.is_active = False
    campaign.save()
    household = family(village_a, income="3000")
    assert services.screen_household(household_id=household.pk) is None


def test_fast_json_matches_verdict_to_dict(campaign, village_a):
    household = family(village_a, income="9000", members=3)
    head = household.members.first()
    AssistanceFactory(member=head, kind="dibao_single", start_date=date(2021, 5, 1))
    AssetFactory(household=household, kind="vehicle", vehicle_kind="truck")
    facts = facts_for_households([household.pk], as_of=TODAY)[household.pk]
    verdict = evaluate(facts, policy_from_campaign(campaign, as_of=TODAY))
    assert plain(verdict) == verdict.to_dict()


def test_flag_and_group_codes_filter_whole_codes(campaign, village_a):
    household = family(village_a, income="3000", petition_count=2)
    AssetFactory(household=household, kind="vehicle", vehicle_kind="car")
    result = services.screen_household(household_id=household.pk)
    assert result.flag_list == ["asset_vehicle_not_exempt"]
    assert 12 in result.group_list
    assert ScreeningResult.objects.filter(group_codes__contains=",12,").count() == 1
    assert not ScreeningResult.objects.filter(group_codes__contains=",1,").exists()


def test_lookback_lists_exits_and_refusals_since_the_campaign_date(campaign, village_a):
    left = family(village_a, income="3000")
    AssistanceFactory(
        member=left.members.first(), start_date=date(2018, 1, 1), end_date=date(2021, 5, 31)
    )
    left_early = family(village_a, income="3000")
    AssistanceFactory(
        member=left_early.members.first(), start_date=date(2018, 1, 1), end_date=date(2020, 5, 31)
    )
    refused = family(village_a, income="3000")
    ApplicationFactory(household=refused, applied_on=date(2022, 2, 1))
    approved = family(village_a, income="3000")
    ApplicationFactory(household=approved, applied_on=date(2022, 2, 1), outcome="approved")

    everyone = services.lookback_households(campaign)
    assert set(everyone) == {left, refused}
    exits = services.lookback_households(campaign, kind="exit")
    assert [(h, h.last_exit) for h in exits] == [(left, date(2021, 5, 31))]
    assert list(services.lookback_households(campaign, kind="refused")) == [refused]
