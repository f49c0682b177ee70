"""The household page a reviewer reads aloud (issue 18 points 2 and 7), in the browser."""

from datetime import date
from decimal import Decimal

import pytest

from screening import services as screening
from tests.factories import AssistanceFactory, IncomeFactory
from tests.screening.factories import family

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _today(settings):
    settings.APP_TODAY = date(2022, 10, 25)


def test_incomplete_survey_and_readable_flags_on_the_household_page(
    journey, campaign, village_a, officer_a
):
    village_a.township = campaign.township
    village_a.save()
    silent = family(village_a, members=2)  # adults able to work, no income line
    elder = family(village_a, members=1, born=date(1955, 3, 1))  # 有劳动能力 on record
    elder.members.update(has_able_supporter=False)
    IncomeFactory(household=elder, member=None, kind="operating", amount=Decimal("1000"))
    single = family(village_a, income="30000", members=2)
    AssistanceFactory(
        member=single.members.order_by("pk").first(),
        kind="dibao_single",
        start_date=date(2021, 6, 1),
    )
    for household in (silent, elder, single):
        screening.screen_household(household_id=household.pk)

    j = journey()
    page = j.login("officer_a")

    # Point 2: 需人工复核 for 未登记收入, naming the members; the survey cannot be marked complete.
    page.goto(j.base + silent.get_absolute_url())
    j.shot("no-income")
    flags = page.locator("main").inner_text()
    assert "需人工复核" in flags and "未登记收入：全家没有登记任何收入" in flags
    for member in silent.members.all():
        assert member.name in flags
    survey = page.locator("#survey-state")
    assert "摸排未完成" in survey.inner_text() and "还缺少" in survey.inner_text()
    assert page.locator("#survey-state button:has-text('标记摸排完成')").is_disabled()

    # Point 7: the 特困 reason is age, the record's capacity is quoted and never contradicted;
    # a one-person household is not told to bring in "1 名成员".
    page.goto(j.base + elder.get_absolute_url())
    j.shot("elder-candidate")
    text = page.locator("main").inner_text()
    assert "年满 60 周岁（67 岁）" in text and "登记的劳动能力为“有劳动能力”" in text
    assert "无劳动能力" not in text
    assert "1 名共同生活成员应整体纳入" not in text

    # Point 7: the 单人户 flag gives the member's own start date.
    page.goto(j.base + single.get_absolute_url())
    j.shot("single-person")
    text = page.locator("main").inner_text()
    assert "于 2021-06-01 按“单人户”纳入低保" in text

    # A complete survey is marked by the officer and shown as 已摸排.
    survey_button = page.locator("#survey-state button:has-text('标记摸排完成')")
    assert survey_button.is_enabled()
    survey_button.click()
    page.wait_for_load_state()
    j.shot("surveyed")
    assert "已摸排" in page.locator("#survey-state").inner_text()
    single.refresh_from_db()
    assert single.survey_complete


def test_housing_fund_without_a_wage_shows_as_manual_review_on_the_household_page(
    journey, campaign, village_a, officer_a, office_user, settings
):
    """Issue 18 point 3: the 公积金 the county's match found, with no wage declared, is a
    需人工复核 flag naming the member, not a presumed minimum wage."""
    from tests.verification.test_findings import NOTHING, poor_case
    from verification.services import record_data_match

    settings.APP_TODAY = date(2022, 11, 10)
    village_a.township = campaign.township
    village_a.save()
    case, member = poor_case(village_a, campaign, office_user)
    row = {"member": member, "matched_on": date(2022, 11, 8)} | NOTHING | {"housing_fund": True}
    record_data_match(case=case, actor=office_user, rows=[row])

    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + case.household.get_absolute_url())
    j.shot("housing-fund-review")
    text = page.locator("main").inner_text()
    assert "需人工复核" in text
    assert f"有公积金缴存未申报工资：信息比对查到 {member.name} 有住房公积金缴存记录" in text
    assert "按最低工资" not in text and "暂按最低工资计" not in text
