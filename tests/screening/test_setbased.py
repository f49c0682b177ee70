"""The set-based screening (one SQL statement, PostgreSQL) reaches the reference rules' verdicts.

Every household of the demo township, of a synthetic county and of hand-made edge cases is
screened both ways; every stored column must be equal, and the households the SQL hands back
(`needs_reference`) must be exactly those whose data the rules refuse.
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from households.demo_caseload import load_demo_registry
from households.models import Campaign, Household, Member
from screening import services, setbased
from screening.explain import explained, verdict_columns
from screening.models import ScreeningResult
from screening.registry import facts_from_bundle, load_bundles, policy_from_campaign
from screening.verdicts import DATA_ERROR, safe_evaluate
from tests.factories import AssistanceFactory, IncomeFactory
from xixin_dibao import clock

from .factories import (
    ApplicationFactory,
    AssetFactory,
    ExpenseFactory,
    GroupRecordFactory,
    family,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="set-based screening runs on PostgreSQL"
    ),
]
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
COLUMN = {name: i for i, name in enumerate(setbased.COLUMNS)}


def compare(campaign: Campaign, **scope) -> int:
    """Screen the campaign's households both ways; assert equal columns; return the count."""
    policy = policy_from_campaign(campaign, as_of=clock.today())
    rows = setbased.verdict_rows(policy, township_ids=[campaign.township_id], **scope)
    bundles = load_bundles([r[0] for r in rows])
    differences, refused, handed_back = [], set(), set()
    for row in rows:
        bundle = bundles[row[0]]
        verdict = safe_evaluate(lambda b=bundle: facts_from_bundle(b, policy.as_of), policy)
        if any(f.code == DATA_ERROR for f in verdict.flags):
            refused.add(row[0])
        if row[11]:
            handed_back.add(row[0])
            continue
        assert row[1:3] == bundle.household[-2:]  # village and household codes
        if tuple(row[3:11]) != verdict_columns(verdict):
            differences.append((row[0], tuple(row[3:11]), verdict_columns(verdict)))
    assert differences == []
    assert handed_back == refused
    return len(rows)


def test_the_demo_township_screens_the_same_both_ways():
    load_demo_registry()
    campaign = Campaign.objects.get(pk=1)
    assert compare(campaign) == Household.objects.count() >= 100


def test_a_synthetic_county_screens_the_same_both_ways():
    call_command("loaddata", str(FIXTURES / "reference.json"), verbosity=0)
    call_command("generate_synthetic", households=1500, seed=7, stdout=io.StringIO())
    template = Campaign.objects.order_by("pk").first()
    checked = 0
    for township_id in set(
        Household.objects.values_list("village__township_id", flat=True).distinct()
    ):
        campaign = Campaign.objects.get(pk=template.pk)
        campaign.pk, campaign.township_id = None, township_id
        checked += compare(campaign)
    assert checked == 1500


def edge_cases(village) -> list[Household]:
    """Households at each clause the SQL mirrors (rules.md §1, §8; the seed's 三(二))."""
    cases = []
    # Both thresholds exactly: 6,972 and 10,458 per head.
    cases += [
        family(village, income="13944", members=2),
        family(village, income="20916", members=2),
    ]
    # Five months' pay annualised (rounding to the cent), an income of nobody in particular.
    odd = family(village, members=3)
    IncomeFactory(household=odd, member=None, kind="operating", amount=Decimal("1234.57"))
    IncomeFactory(
        household=odd, member=odd.members.first(), amount=Decimal("3333.33"), period_months=5
    )
    cases.append(odd)
    # Excluded income kinds and an excluded member with his income.
    excluded = family(village, income="5000", members=3)
    IncomeFactory(household=excluded, kind="basic_pension", amount=Decimal("9000"))
    jailed = excluded.members.last()
    jailed.exclusion = "prison"
    jailed.save()
    IncomeFactory(household=excluded, member=jailed, amount=Decimal("50000"))
    cases.append(excluded)
    # Stable work without proof of pay: minimum wage imputed; the only worker works away.
    imputed = family(village, members=2)
    worker = imputed.members.first()
    worker.stable_employment_no_proof = worker.works_away = True
    worker.save()
    cases.append(imputed)
    # A 单人户 dibao member since 2021 whose family is not 边缘: blocking flag.
    single = family(village, income="30000", members=3)
    AssistanceFactory(
        member=single.members.first(), kind="dibao_single", start_date=date(2021, 6, 1)
    )
    # Her own pay is not the family's; pay recorded for someone of another household is.
    IncomeFactory(
        household=single, member=single.members.first(), kind="operating", amount=Decimal("4000")
    )
    IncomeFactory(household=single, member=jailed, amount=Decimal("700.5"), period_months=7)
    cases.append(single)
    # Part of the family on dibao; a 特困 member; an outsider in a 边缘 family.
    partial = family(village, income="9000", members=2)
    AssistanceFactory(member=partial.members.first(), kind="dibao", start_date=date(2020, 1, 1))
    cases.append(partial)
    outsider = family(village, income="16000", members=2)
    away = outsider.members.last()
    away.chongqing_hukou = False
    away.save()
    AssistanceFactory(member=away, kind="extreme_poverty", start_date=date(2019, 1, 1))
    cases.append(outsider)
    # An old man alone, 60 on the day, no supporter able to help, low income: 特困 candidate,
    # group 8. His neighbour turns 60 a day later: neither.
    elder = family(village, income="2000", members=1, born=date(1962, 10, 25))
    man = elder.members.get()
    man.has_able_supporter, man.lives_alone, man.supporters_work_away = False, True, True
    man.save()
    cases.append(elder)
    younger = family(village, income="2000", members=1, born=date(1962, 10, 26))
    younger.members.update(has_able_supporter=False, lives_alone=True, supporters_work_away=True)
    # Assets and spending: every asset flag, rigid expenses (group 6), recorded groups.
    rich = family(village, income="6000", members=2, high_consumption=True, petition_count=3)
    for kind, extra in (
        ("deposit", {"value": Decimal("50000")}),
        ("vehicle", {"vehicle_kind": ""}),
        ("vehicle", {"vehicle_kind": "motorcycle"}),
        ("house", {"recent_purchase": True}),
        ("house", {}),
        ("non_residential", {}),
        ("business", {"employs_others": True}),
    ):
        AssetFactory(household=rich, kind=kind, **extra)
    ExpenseFactory(household=rich, amount=Decimal("8000"))
    GroupRecordFactory(household=rich, group=11)
    GroupRecordFactory(household=rich, group=2)  # recorded only: group 2 comes from the data
    cases.append(rich)
    # 回头看: left dibao in 2021; refused in 2022; a 2020 exit that is too early.
    back = family(village, income="12000", members=1, is_tuopin=True)
    back.tuopin_net_income_2021 = Decimal("8000")
    back.save()
    AssistanceFactory(
        member=back.members.get(),
        kind="dibao",
        start_date=date(2019, 1, 1),
        end_date=date(2021, 3, 1),
    )
    ApplicationFactory(household=back, applied_on=date(2022, 4, 1))
    early = family(village, income="12000", members=1)
    AssistanceFactory(
        member=early.members.get(),
        kind="dibao",
        start_date=date(2018, 1, 1),
        end_date=date(2020, 6, 1),
    )
    cases += [back, early]
    # No counted member at all; a child; data the rules refuse (a disability grade of 6).
    nobody = family(village, income="3000", members=1)
    nobody.members.update(exclusion="missing")
    child = family(village, members=1, born=date(2010, 1, 1))
    broken = family(village, income="3000", members=1)
    broken.members.update(disability_kind="physical", disability_grade=6)
    return cases + [younger, nobody, child, broken]


def test_edge_cases_screen_the_same_both_ways(campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    cases = edge_cases(village_a)
    assert compare(campaign) == len(cases)
    # and for one village, or for given households
    assert compare(campaign, village_id=village_a.pk) == len(cases)
    assert compare(campaign, household_ids=[h.pk for h in cases[:3]]) == 3


def deduction_and_survey_cases(village) -> list[Household]:
    """Households where the employment-cost scope or an unregistered income decides."""
    cases = []
    # One earner away, one local, one farmer.
    two = family(village, members=3)
    away, local, farmer = two.members.order_by("pk")
    Member.objects.filter(pk=away.pk).update(works_away=True, employed=True)
    Member.objects.filter(pk=local.pk).update(employed=True)
    IncomeFactory(household=two, member=away, amount=Decimal("20000"))
    IncomeFactory(household=two, member=local, amount=Decimal("10000.01"))
    IncomeFactory(household=two, member=farmer, kind="operating", amount=Decimal("3000"))
    # Two members away; one of them paid by five months' wages; a wage of nobody in particular.
    both = family(village, members=2)
    first, second = both.members.order_by("pk")
    both.members.update(works_away=True)
    IncomeFactory(household=both, member=first, amount=Decimal("3333.33"), period_months=5)
    IncomeFactory(household=both, member=second, amount=Decimal("7000"))
    IncomeFactory(household=both, member=None, amount=Decimal("999.99"))
    # The sole earner away, a sole earner at home, a sole earner away paid nothing.
    for works_away, pay in ((True, "12000"), (False, "12000"), (True, "0")):
        sole = family(village, members=2)
        earner = sole.members.order_by("pk").first()
        Member.objects.filter(pk=earner.pk).update(works_away=works_away, employed=True)
        IncomeFactory(household=sole, member=earner, amount=Decimal(pay))
        cases.append(sole)
    # Away without proof of pay, next to a local earner.
    imputed = family(village, members=2)
    worker, other = imputed.members.order_by("pk")
    Member.objects.filter(pk=worker.pk).update(stable_employment_no_proof=True, works_away=True)
    IncomeFactory(household=imputed, member=other, amount=Decimal("5000"))
    # An away worker excluded from the family (prison): his pay is not the family's.
    jailed = family(village, members=2)
    inmate = jailed.members.order_by("pk").last()
    Member.objects.filter(pk=inmate.pk).update(works_away=True, exclusion="prison")
    IncomeFactory(household=jailed, member=inmate, amount=Decimal("40000"))
    # 未登记收入: no income line with a working-age member able to work (flagged: the first
    # three); and the ones that are not (elder, 16 tomorrow, student, no capacity, an excluded
    # kind only).
    unregistered = [family(village, members=2), family(village, members=1, born=date(2006, 10, 25))]
    partial = family(village, members=1)
    partial.members.update(work_capacity="partial")
    unregistered.append(partial)
    elder = family(village, members=1, born=date(1950, 1, 1))
    almost = family(village, members=1, born=date(2006, 10, 26))
    student = family(village, members=1)
    student.members.update(student_level="college")
    nocap = family(village, members=1)
    nocap.members.update(work_capacity="none")
    pension_only = family(village, members=1)
    IncomeFactory(household=pension_only, kind="basic_pension", amount=Decimal("1200"))
    cases += [two, both, imputed, jailed, elder, almost, student, nocap, pension_only]
    return unregistered + cases


@pytest.mark.parametrize("scope", ["all", "away", "sole_away"])
def test_every_deduction_scope_screens_the_same_both_ways(scope, campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    cases = edge_cases(village_a)
    new = deduction_and_survey_cases(village_a)
    campaign.employment_cost_scope = scope
    campaign.save()
    assert compare(campaign) == len(cases) + len(new)
    # 未登记收入 is found by the SQL on exactly the households the rules find it.
    policy = policy_from_campaign(campaign, as_of=clock.today())
    rows = setbased.verdict_rows(policy, township_ids=[campaign.township_id])
    flagged = {r[0] for r in rows if ",income_not_registered," in r[COLUMN["flag_codes"]]}
    assert flagged == {h.pk for h in new[:3]}
    assert {r[COLUMN["outcome"]] for r in rows if r[0] in flagged} == {"manual_review"}


def test_the_scope_changes_per_capita_income_where_it_should(campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    deduction_and_survey_cases(village_a)
    seen = {}
    for scope in ("all", "away", "sole_away"):
        campaign.employment_cost_scope = scope
        campaign.save()
        policy = policy_from_campaign(campaign, as_of=clock.today())
        rows = setbased.verdict_rows(policy, township_ids=[campaign.township_id])
        seen[scope] = {r[0]: r[COLUMN["per_capita_income"]] for r in rows}
    differs = lambda a, b: {pk for pk in seen[a] if seen[a][pk] != seen[b][pk]}  # noqa: E731
    assert differs("all", "away") and differs("away", "sole_away")


def test_a_run_keeps_unchanged_verdicts_and_explains_new_ones(campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    cases = edge_cases(village_a)
    run = services.screen_households(campaign=campaign)
    assert run.household_count == run.evaluated_count == len(cases)
    current = ScreeningResult.objects.filter(campaign=campaign, is_current=True)
    assert current.count() == len(cases)
    broken = current.get(household=cases[-1])
    assert broken.outcome == "manual_review" and DATA_ERROR in broken.flag_list
    assert broken.data  # screened by the rules, explanation stored

    again = services.screen_households(campaign=campaign)
    assert again.evaluated_count == 0 and again.household_count == len(cases)
    assert ScreeningResult.objects.filter(campaign=campaign).count() == len(cases)

    elder = current.get(household=cases[8])
    assert elder.data == {}
    shown = explained(elder)
    assert shown.matches and not shown.stored
    assert shown.data["extreme_poverty_candidates"]
    assert shown.data["outcome"] == elder.outcome == "manual_review"

    # The data change after the run: the explanation says so until the household is re-screened.
    IncomeFactory(household=cases[8], member=cases[8].members.get(), amount=Decimal("40000"))
    assert not explained(elder).matches
    third = services.screen_households(campaign=campaign)
    assert third.evaluated_count == 1 and third.changed_count == 1
    newer = ScreeningResult.objects.get(household=cases[8], is_current=True)
    assert newer.outcome == "not_eligible" and newer.previous_outcome == "manual_review"
    assert explained(newer).matches


def test_a_county_is_screened_in_one_statement_with_a_run_per_campaign():
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CampaignFactory, TownshipFactory, VillageFactory

    first = CampaignFactory()
    second = CampaignFactory(township=TownshipFactory(code="500240215", name="王场镇"))
    homes = {
        c.pk: [
            family(village, income="3000")
            for village in [VillageFactory(township=c.township, code=f"{c.township.code}201")]
            for _ in range(3)
        ]
        for c in (first, second)
    }

    def statements(queries) -> tuple[int, int]:
        """(rule passes over the stored aggregates, recomputations of aggregates)"""
        sql = [q["sql"] for q in queries.captured_queries]
        return (
            sum("LEFT JOIN screening_householdfacts f" in q for q in sql),
            sum("INSERT INTO screening_householdfacts" in q for q in sql),
        )

    with CaptureQueriesContext(conn) as queries:
        runs = services.screen_campaigns([first, second])
    assert [r.campaign for r in runs] == [first, second]
    assert [r.household_count for r in runs] == [3, 3]
    # No aggregates stored yet: one pass finds all six stale, one statement computes them,
    # one pass screens them; both townships in each.
    assert statements(queries) == (2, 1)
    with CaptureQueriesContext(conn) as queries:
        services.screen_campaigns([first, second])
    assert statements(queries) == (1, 0)
    for campaign_pk, households in homes.items():
        results = ScreeningResult.objects.filter(household__in=households, is_current=True)
        assert {r.campaign_id for r in results} == {campaign_pk}
        assert {r.run.campaign_id for r in results} == {campaign_pk}

    # A second township with another standard gets its own statement and its own verdicts.
    second.dibao_standard_monthly = Decimal("100")
    second.save()
    with CaptureQueriesContext(conn) as queries:
        services.screen_campaigns([first, second])
    # The stored aggregates stand under the new standard: only the rules read it.
    assert statements(queries) == (2, 0)
    outcomes = ScreeningResult.objects.filter(household__in=homes[second.pk], is_current=True)
    assert set(outcomes.values_list("outcome", flat=True)) == {"not_eligible"}


def test_household_page_explains_a_set_based_verdict_and_says_when_data_changed(
    client_for, office_user, campaign, village_a
):
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, income="5800")
    services.screen_households(campaign=campaign)
    assert ScreeningResult.objects.get(household=household, is_current=True).data == {}
    body = client_for(office_user).get(household.get_absolute_url()).content.decode()
    assert "人均年收入 4,060.00 元，低于低保标准 6,972.00 元" in body
    assert "<dt>人均年收入</dt><dd>4,060.00 元</dd>" in body
    assert "在本次研判之后有修改" not in body

    # Data changed without a re-screen: the page warns and computes from the data as they are.
    IncomeFactory(household=household, member=household.members.get(), amount=Decimal("30000"))
    body = client_for(office_user).get(household.get_absolute_url()).content.decode()
    assert "在本次研判之后有修改" in body
    assert 'class="badge dibao"' in body  # the stored verdict stays until the re-screen
    assert "<dt>人均年收入</dt><dd>25,060.00 元</dd>" in body


def test_thresholds_in_fen_keep_comparisons_exact_for_any_policy_value():
    """Per-head income is a whole number of fen; a threshold between two fen still compares
    as the rules compare Decimals (x < 6972.005 ⟺ x ≤ 6972.00; nothing equals it)."""
    odd, whole = Decimal("6972.005"), Decimal("6972")
    for pci in (Decimal("6972.00"), Decimal("6972.01"), Decimal("6971.99")):
        fen = int(pci * 100)
        for value in (odd, whole):
            assert (fen < setbased._fen_up(value)) == (pci < value)
            assert (fen >= setbased._fen_up(value)) == (pci >= value)
            assert (fen <= setbased._fen_down(value)) == (pci <= value)
            assert (fen == setbased._fen_exact(value)) == (pci == value)
    assert setbased._fen_exact(odd) is None and setbased._fen_exact(whole) == 697200


def unmeasured_wage_cases(village) -> tuple[list[Household], list[Household]]:
    """公积金 found by 信息比对 with no wage declared (a 0 元 信息比对 wage line): flagged
    households first, then ones that are not."""

    def matched(household, person, amount="0"):
        IncomeFactory(
            household=household,
            member=person,
            amount=Decimal(amount),
            period_months=1,
            source="data_match",
        )

    flagged, others = [], []
    for declared in ("1200", "60000"):  # poor, and above the line on what was declared
        h = family(village, members=2)
        first, second = h.members.order_by("pk")
        IncomeFactory(household=h, member=first, kind="operating", amount=Decimal(declared))
        matched(h, second)
        flagged.append(h)
    no_proof = family(village, members=1)  # stable work without proof: nothing presumed
    person = no_proof.members.get()
    Member.objects.filter(pk=person.pk).update(stable_employment_no_proof=True, works_away=True)
    matched(no_proof, person)
    flagged.append(no_proof)
    jailed = family(village, members=2, income="1200")  # his pay is not the family's
    inmate = jailed.members.order_by("pk").last()
    Member.objects.filter(pk=inmate.pk).update(exclusion="prison")
    matched(jailed, inmate)
    with_amount = family(village, members=1, income="1200")  # an amount: used as it is
    matched(with_amount, with_amount.members.get(), "300")
    nobody = family(village, members=1, income="1200")  # no member: no one to cite
    matched(nobody, None)
    declared_zero = family(village, members=1)  # a declared 0 wage is a declaration
    IncomeFactory(household=declared_zero, member=declared_zero.members.get(), amount=0)
    others += [jailed, with_amount, nobody, declared_zero]
    return flagged, others


def test_a_matched_wage_without_amount_is_flagged_the_same_both_ways(campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    flagged, others = unmeasured_wage_cases(village_a)
    assert compare(campaign) == len(flagged) + len(others)
    policy = policy_from_campaign(campaign, as_of=clock.today())
    rows = setbased.verdict_rows(policy, township_ids=[campaign.township_id])
    found = {r[0] for r in rows if ",housing_fund_wage_undeclared," in r[COLUMN["flag_codes"]]}
    assert found == {h.pk for h in flagged}
    assert {r[COLUMN["outcome"]] for r in rows if r[0] in found} == {"manual_review"}
    outcomes = {r[0]: r[COLUMN["outcome"]] for r in rows}
    assert outcomes[others[0].pk] == outcomes[others[1].pk] == "dibao"
