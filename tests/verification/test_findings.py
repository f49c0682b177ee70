"""Data-match findings feed the verdict: 信息比对 facts, a re-screen, the change shown."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import Asset, Income
from screening import services as screening
from screening.explain import explained
from screening.models import ScreeningResult
from tests.factories import IncomeFactory
from tests.verification.factories import make_case, new_meeting
from tests.verification.test_datamatch import row_for, xlsx
from verification.services import import_data_match, record_data_match

pytestmark = pytest.mark.django_db

NOTHING = {
    "vehicles": 0,
    "deposits": Decimal("0"),
    "business": "",
    "pension_monthly": Decimal("0"),
    "houses": 0,
    "housing_fund": False,
    "note": "",
}


def poor_case(village, campaign, office_user):
    """A one-person household on 1,200 元 of farm income a year: 低保 before the data match."""
    case = make_case(village, campaign, members=1)
    member = case.household.members.get()
    IncomeFactory(household=case.household, member=member, kind="operating", amount=Decimal("1200"))
    result = screening.screen_household(household_id=case.household_id, actor=office_user)
    assert result.outcome == "dibao"
    return case, member


@pytest.mark.parametrize(
    ("found", "row_kind", "outcome", "flag"),
    [
        ({"vehicles": 1}, ("asset", "vehicle"), "manual_review", "asset_vehicle_not_exempt"),
        (
            {"deposits": Decimal("50000")},
            ("asset", "deposit"),
            "manual_review",
            "asset_financial_over_limit",
        ),
        (
            {"business": "石柱县某商贸部"},
            ("asset", "business"),
            "manual_review",
            "asset_business_registration",
        ),
        ({"houses": 2}, ("asset", "house"), "manual_review", "asset_house_count"),
        ({"pension_monthly": Decimal("900")}, ("income", "pension"), "not_eligible", None),
        # 公积金 without a declared wage: a wage of unknown amount, none presumed.
        (
            {"housing_fund": True},
            ("income", "wage"),
            "manual_review",
            "housing_fund_wage_undeclared",
        ),
    ],
)
def test_each_finding_becomes_a_fact_and_changes_the_verdict(
    found,
    row_kind,
    outcome,
    flag,
    campaign,
    village_a,
    office_user,
    today,
    django_capture_on_commit_callbacks,
    client_for,
):
    today(date(2022, 11, 10))
    case, member = poor_case(village_a, campaign, office_user)
    row = {"member": member, "matched_on": date(2022, 11, 8)} | NOTHING | found
    with django_capture_on_commit_callbacks(execute=True):
        record_data_match(case=case, actor=office_user, rows=[row])
    table, kind = row_kind
    model = Asset if table == "asset" else Income
    facts = model.objects.filter(household=case.household, source="data_match")
    assert {f.kind for f in facts} == {kind}
    result = ScreeningResult.objects.get(household=case.household, is_current=True)
    assert result.outcome == outcome
    assert result.changed and result.previous_outcome == "dibao"
    if flag:
        assert flag in result.flag_list
    for url in (
        reverse("verification:case_detail", args=[case.pk]),
        case.household.get_absolute_url(),
    ):
        page = client_for(office_user).get(url).content.decode()
        assert f"结论由“低保”变为“{result.get_outcome_display()}”" in page
    # Entering the same results again writes nothing new and keeps the verdict.
    with django_capture_on_commit_callbacks(execute=True):
        record_data_match(case=case, actor=office_user, rows=[row])
    assert model.objects.filter(household=case.household, source="data_match").count() == len(facts)


def test_import_rescreens_and_a_clean_match_withdraws_earlier_findings(
    campaign, village_a, office_user, today, django_capture_on_commit_callbacks
):
    today(date(2022, 11, 10))
    case, member = poor_case(village_a, campaign, office_user)
    with django_capture_on_commit_callbacks(execute=True):
        import_data_match(
            fileobj=xlsx([row_for(member, 车辆="1", 存款金额="0", 房产套数=0)]),
            actor=office_user,
            campaign=campaign,
        )
    assert ScreeningResult.objects.get(household=case.household, is_current=True).outcome == (
        "manual_review"
    )
    # The county corrects its export: the vehicle was someone else's.
    with django_capture_on_commit_callbacks(execute=True):
        import_data_match(
            fileobj=xlsx([row_for(member, 存款金额="0", 房产套数=0)]),
            actor=office_user,
            campaign=campaign,
        )
    assert not Asset.objects.filter(household=case.household, source="data_match").exists()
    assert ScreeningResult.objects.get(household=case.household, is_current=True).outcome == (
        "dibao"
    )


def test_declared_items_are_not_findings(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    case, member = poor_case(village_a, campaign, office_user)
    Asset.objects.create(household=case.household, kind="deposit", value=Decimal("60000"))
    row = {"member": member, "matched_on": date(2022, 11, 8)} | NOTHING
    record_data_match(case=case, actor=office_user, rows=[row | {"deposits": Decimal("50000")}])
    assert not Asset.objects.filter(household=case.household, source="data_match").exists()


def test_housing_fund_without_a_wage_is_reviewed_not_presumed_nor_on_the_agenda(
    campaign, village_a, office_user, today, django_capture_on_commit_callbacks
):
    """The 公积金 finding cites the member; the household is 需人工复核 (not counted eligible
    on the dashboard), kept off the agenda until the wage is registered, then back on it."""
    from verification.models import Case
    from verification.services import build_agenda
    from xixin_dibao import dashboard

    today(date(2022, 11, 10))
    case, member = poor_case(village_a, campaign, office_user)
    Case.all_objects.filter(pk=case.pk).update(state="pending_review")
    row = {"member": member, "matched_on": date(2022, 11, 8)} | NOTHING | {"housing_fund": True}
    with django_capture_on_commit_callbacks(execute=True):
        record_data_match(case=case, actor=office_user, rows=[row])
    [fact] = Income.objects.filter(household=case.household, source="data_match")
    assert fact.amount == 0 and fact.member_id == member.pk and "公积金" in fact.note
    result = ScreeningResult.objects.get(household=case.household, is_current=True)
    assert result.outcome == "manual_review" and result.monthly_amount is None
    assert result.flag_list == ["housing_fund_wage_undeclared"]
    explanation = explained(result).data  # stored, or worked out again (set-based verdicts)
    [flag] = explanation["flags"]
    assert f"信息比对查到 {member.name} 有住房公积金缴存记录" in flag["message"]
    assert not any(i["source"] == "imputed" for i in explanation["computation"]["incomes"])

    total = dashboard.compute(campaign)["total"]
    assert (total["outcome_dibao"], total["outcome_manual_review"]) == (0, 1)
    meeting = new_meeting(campaign, office_user, date(2022, 11, 10))
    assert not meeting.items.exists()

    # The officer registers the wage found on the visit: the finding goes, the verdict follows.
    IncomeFactory(household=case.household, member=member, amount=Decimal("3000"))
    with django_capture_on_commit_callbacks(execute=True):
        record_data_match(case=case, actor=office_user, rows=[row])
    assert not Income.objects.filter(household=case.household, source="data_match").exists()
    result = ScreeningResult.objects.get(household=case.household, is_current=True)
    assert result.outcome == "dibao" and result.flag_list == []
    assert build_agenda(meeting=meeting) == 1
