"""The stored per-household aggregates (HouseholdFacts) never stand in for changed data.

Set-based runs evaluate the rules over stored aggregates and recompute only those that do not
stand. These tests write each input table the way the app and its tools write (ORM saves,
queryset updates and deletes, bulk inserts), move the as-of date across a birthday and an
assistance date, change the policy, and commit a write while aggregates are being computed;
each time the verdicts must equal those computed from the registry tables directly.
"""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from households.models import (
    AssistanceRecord,
    Income,
    Member,
)
from screening import services, setbased
from screening.models import HouseholdFacts, InputVersion, ScreeningResult
from screening.registry import policy_from_campaign
from tests.factories import AssistanceFactory, IncomeFactory, MemberFactory, make_id_number
from xixin_dibao import clock

from .factories import ApplicationFactory, AssetFactory, ExpenseFactory, GroupRecordFactory, family

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="set-based screening runs on PostgreSQL"
)


def stored(household) -> tuple:
    row = HouseholdFacts.objects.get(household_id=household.pk)
    return tuple(getattr(row, c) for c in setbased.FACT_COLUMNS)


def fresh(campaign, household) -> tuple:
    policy = policy_from_campaign(campaign, as_of=clock.today())
    return setbased.aggregate_rows(policy, [household.pk])[household.pk][:-1]


def verdicts_match(campaign) -> None:
    """Every current verdict has the columns the registry gives today (not the cache)."""
    policy = policy_from_campaign(campaign, as_of=clock.today())
    expected = {
        row[0]: (row[3], row[4], row[5], row[9], row[10])
        for row in setbased.verdict_rows(policy, township_ids=[campaign.township_id])
        if not row[11]
    }
    current = {
        r.household_id: (
            r.outcome,
            r.per_capita_income,
            r.member_count,
            r.flag_codes,
            r.group_codes,
        )
        for r in ScreeningResult.objects.filter(campaign=campaign, is_current=True)
        if r.household_id in expected
    }
    assert current == expected


def _add_member(h):
    MemberFactory(household=h, relation="child", id_number=make_id_number(date(1990, 3, 3)))


def _exclude_member(h):
    Member.objects.filter(household=h, relation="spouse").update(exclusion="prison")


def _delete_member(h):
    Member.objects.filter(household=h, relation="spouse").delete()


def _add_income(h):
    IncomeFactory(household=h, member=h.members.first(), amount=Decimal("9000"))


def _raise_income(h):
    Income.objects.filter(household=h).update(amount=Decimal("30000"))


def _delete_income(h):
    Income.objects.filter(household=h).delete()


def _bulk_incomes(h):
    Income.objects.bulk_create(
        [Income(household=h, kind="operating", amount=Decimal("700"), period_months=12)] * 3
    )


def _add_deposit(h):
    AssetFactory(household=h, kind="deposit", value=Decimal("90000"))


def _add_vehicle(h):
    AssetFactory(household=h, kind="vehicle", vehicle_kind="car", value=Decimal("50000"))


def _add_expense(h):
    ExpenseFactory(household=h, amount=Decimal("8000"))


def _record_group(h):
    GroupRecordFactory(household=h, group=11)


def _refused_application(h):
    ApplicationFactory(household=h, applied_on=date(2022, 3, 1))


def _member_on_dibao(h):
    AssistanceFactory(member=h.members.first(), kind="dibao", start_date=date(2021, 5, 1))


def _dibao_ended(h):
    AssistanceFactory(member=h.members.first(), kind="dibao", start_date=date(2020, 1, 1))
    AssistanceRecord.objects.filter(member__household=h).update(end_date=date(2022, 6, 30))


def _save_member(h):
    member = h.members.get(relation="spouse")
    member.serious_illness = True
    member.save()


def _works_away(h):
    """The stored pay of members working away (the deduction's scope) follows the member."""
    Member.objects.filter(household=h, relation="head").update(works_away=True)


def _becomes_student(h):
    """No income line left, then the only able adult becomes a student: 未登记收入 no more."""
    Income.objects.filter(household=h).delete()
    Member.objects.filter(household=h).update(student_level="college")


WRITES = [
    _add_member,
    _works_away,
    _becomes_student,
    _exclude_member,
    _delete_member,
    _save_member,
    _add_income,
    _raise_income,
    _delete_income,
    _bulk_incomes,
    _add_deposit,
    _add_vehicle,
    _add_expense,
    _record_group,
    _refused_application,
    _member_on_dibao,
    _dibao_ended,
]


@pytest.mark.django_db
@pytest.mark.parametrize("write", WRITES, ids=[w.__name__.strip("_") for w in WRITES])
def test_each_kind_of_write_is_seen_by_the_next_run(write, campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, income="6000", members=2)
    other = family(village_a, income="3000", members=1)
    services.screen_households(campaign=campaign)
    before, untouched = stored(household), InputVersion.objects.get(household_id=other.pk)

    write(household)

    # The trigger counted the write for this household and no other.
    assert InputVersion.objects.get(household_id=other.pk).version == untouched.version
    assert stored(household) == before  # nothing recomputed yet
    assert fresh(campaign, household) != before, "the write must change an aggregate"
    services.screen_households(campaign=campaign)
    assert stored(household) == fresh(campaign, household)
    verdicts_match(campaign)


@pytest.mark.django_db
def test_an_unchanged_run_recomputes_nothing_and_a_write_recomputes_one_household(
    campaign, village_a
):
    village_a.township = campaign.township
    village_a.save()
    homes = [family(village_a, income=str(2000 * i), members=2) for i in range(1, 6)]
    services.screen_households(campaign=campaign)
    computed = dict(HouseholdFacts.objects.values_list("household_id", "computed_version"))
    assert set(computed) == {h.pk for h in homes}

    services.screen_households(campaign=campaign)
    assert dict(HouseholdFacts.objects.values_list("household_id", "computed_version")) == computed

    IncomeFactory(household=homes[2], member=homes[2].members.first(), amount=Decimal("1"))
    services.screen_households(campaign=campaign)
    after = dict(HouseholdFacts.objects.values_list("household_id", "computed_version"))
    assert [pk for pk in after if after[pk] != computed[pk]] == [homes[2].pk]
    verdicts_match(campaign)


@pytest.mark.django_db
def test_a_birthday_or_an_assistance_date_after_the_run_ends_the_stored_aggregates(
    campaign, village_a, settings
):
    """A member turns 60 the day after the as-of date (特困 candidate): the stored row is valid
    until that day; a run on that day recomputes it and finds the candidate."""
    village_a.township = campaign.township
    village_a.save()
    today = clock.today()
    turning = family(village_a, income="2000", members=1, born=date(today.year - 60, 10, 26))
    turning.members.update(has_able_supporter=False)
    ending = family(village_a, income="3000", members=1)
    AssistanceFactory(
        member=ending.members.first(),
        kind="dibao",
        start_date=date(2020, 1, 1),
        end_date=date(2022, 12, 1),
    )
    services.screen_households(campaign=campaign)
    valid = dict(HouseholdFacts.objects.values_list("household_id", "valid_until"))
    assert valid[turning.pk] == date(today.year, 10, 26)
    assert valid[ending.pk] == date(2022, 12, 1)
    flags = ScreeningResult.objects.get(household=turning, is_current=True).flag_list
    assert "extreme_poverty_candidate" not in flags

    settings.APP_TODAY = date(today.year, 10, 26)
    services.screen_households(campaign=campaign)
    flags = ScreeningResult.objects.get(household=turning, is_current=True).flag_list
    assert "extreme_poverty_candidate" in flags
    verdicts_match(campaign)

    settings.APP_TODAY = date(2022, 12, 1)
    services.screen_households(campaign=campaign)
    verdicts_match(campaign)
    assert ScreeningResult.objects.get(household=ending, is_current=True).lookback

    # An earlier date than the rows were computed for recomputes them too.
    settings.APP_TODAY = today
    services.screen_households(campaign=campaign)
    verdicts_match(campaign)
    assert HouseholdFacts.objects.get(household_id=turning.pk).valid_from == today


@pytest.mark.django_db
def test_another_policy_recomputes_the_stored_aggregates(campaign, village_a):
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, income="6000", members=1)
    IncomeFactory(household=household, kind="pension", amount=Decimal("4000"))
    services.screen_households(campaign=campaign)
    tag = HouseholdFacts.objects.get(household_id=household.pk).tag

    campaign.excluded_income_kinds = ["pension"]
    campaign.save()
    services.screen_households(campaign=campaign)
    assert HouseholdFacts.objects.get(household_id=household.pk).tag != tag
    verdicts_match(campaign)


@pytest.mark.django_db
def test_a_new_deduction_scope_reuses_the_stored_aggregates_and_applies_the_new_scope(
    campaign, village_a
):
    """The aggregates hold the pay of members working away whatever the scope; only the rules
    read the scope. Changing it keeps the stored rows (same tag) and changes the verdicts."""
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, members=2)
    away, local = household.members.order_by("pk")
    IncomeFactory(household=household, member=away, amount=Decimal("9000"))
    IncomeFactory(household=household, member=local, amount=Decimal("9000"))
    Member.objects.filter(pk=away.pk).update(works_away=True, employed=True)
    Member.objects.filter(pk=local.pk).update(employed=True)
    services.screen_households(campaign=campaign)
    row = HouseholdFacts.objects.get(household_id=household.pk)
    assert row.away_fen == 900000
    incomes = {}
    for scope in ("all", "away", "sole_away"):
        campaign.employment_cost_scope = scope
        campaign.save()
        policy = policy_from_campaign(campaign, as_of=clock.today())
        assert setbased.facts_tag(policy) == row.tag
        services.screen_households(campaign=campaign)
        assert HouseholdFacts.objects.get(household_id=household.pk).computed_version == (
            row.computed_version
        )
        verdicts_match(campaign)
        current = ScreeningResult.objects.get(household=household, is_current=True)
        incomes[scope] = current.per_capita_income
    # 18,000 of pay: 30% of all of it, of the away half, of nobody's (two workers).
    assert incomes == {
        "all": Decimal("6300.00"),
        "away": Decimal("7650.00"),
        "sole_away": Decimal("9000.00"),
    }


def test_the_facts_tag_follows_the_aggregates_sql():
    """A release that changes what is aggregated (a new stored fact) recomputes every row:
    the tag hashes the statement that computes them, and it reads the new columns."""
    text = setbased.refresh_statement(None)
    assert "away_fen" in text and "2048" in text and "1024" in text


@pytest.mark.django_db(transaction=True)
def test_a_write_committed_while_aggregates_are_computed_leaves_them_stale(campaign, village_a):
    """The version is read in the statement's snapshot: aggregates computed before a write
    commits are stored as of the older version, and the next run recomputes them."""
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, income="3000", members=1)
    services.screen_households(campaign=campaign)
    assert ScreeningResult.objects.get(household=household, is_current=True).outcome == "dibao"

    written, go = threading.Event(), threading.Event()

    def officer():
        try:
            with transaction.atomic():
                IncomeFactory(household=household, kind="operating", amount=Decimal("50000"))
                written.set()
                go.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=officer)
    thread.start()
    assert written.wait(10)
    policy = policy_from_campaign(campaign, as_of=clock.today())
    setbased.refresh_facts(policy, household_ids=[household.pk])  # sees the data before the write
    go.set()
    thread.join(10)

    row = HouseholdFacts.objects.get(household_id=household.pk)
    assert row.computed_version < InputVersion.objects.get(household_id=household.pk).version
    services.screen_households(campaign=campaign)
    assert ScreeningResult.objects.get(household=household, is_current=True).outcome == (
        "not_eligible"
    )
    verdicts_match(campaign)


@pytest.mark.django_db
def test_most_stale_recompute_the_whole_scope_a_few_by_id(campaign, village_a, monkeypatch):
    village_a.township = campaign.township
    village_a.save()
    homes = [family(village_a, income=str(3000 * i), members=i) for i in range(1, 9)]
    original, refreshed = setbased.refresh_facts, []

    def recording(policy, **scope):
        refreshed.append(scope)
        original(policy, **scope)

    monkeypatch.setattr(setbased, "refresh_facts", recording)
    services.screen_households(campaign=campaign)  # all stale: the run's scope, no ids
    assert [scope["household_ids"] for scope in refreshed] == [None]
    assert HouseholdFacts.objects.filter(household_id__in=[h.pk for h in homes]).count() == 8
    verdicts_match(campaign)

    IncomeFactory(household=homes[0], amount=Decimal("20000"))
    refreshed.clear()
    services.screen_households(campaign=campaign)  # one stale household: its id
    assert refreshed == [{"township_ids": None, "household_ids": [homes[0].pk]}]
    verdicts_match(campaign)


@pytest.mark.django_db
def test_a_synthetic_county_screened_from_stored_aggregates_matches_the_registry():
    import io

    from django.core.management import call_command

    from households.models import Campaign, Household

    from .test_setbased import FIXTURES

    call_command("loaddata", str(FIXTURES / "reference.json"), verbosity=0)
    call_command("generate_synthetic", households=1500, seed=11, stdout=io.StringIO())
    template = Campaign.objects.order_by("pk").first()
    campaigns = []
    for township_id in sorted(
        set(Household.objects.values_list("village__township_id", flat=True))
    ):
        campaign = Campaign.objects.filter(township_id=township_id).first()
        if campaign is None:
            campaign = Campaign.objects.get(pk=template.pk)
            campaign.pk, campaign.township_id = None, township_id
            campaign.save()
        campaigns.append(campaign)
    services.screen_campaigns(campaigns)  # computes and stores every household's aggregates
    services.screen_campaigns(campaigns)  # from the stored aggregates alone
    assert HouseholdFacts.objects.count() == Household.objects.count() == 1500
    for campaign in campaigns:
        verdicts_match(campaign)
