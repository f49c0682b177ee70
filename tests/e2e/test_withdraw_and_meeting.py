"""Issue 20.3 and 20.4 in the browser: withdrawing a mistaken household; deciding in the meeting."""

import pytest

from households.models import Household
from tests.e2e.test_keyboard_entry import tab_to
from tests.factories import HouseholdFactory, MemberFactory, UserFactory
from tests.verification.factories import (
    DataMatchFactory,
    HomeVisitFactory,
    MeetingFactory,
    make_case,
    screening_result,
)
from verification.models import Case, ReviewDecision
from verification.states import State

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_officer_withdraws_a_mistaken_household_and_the_office_restores_it(
    journey, officer_a, village_a, campaign
):
    household = HouseholdFactory(village=village_a, head_name="重复登记户", code="BH-9")
    MemberFactory(household=household, name="重复登记户")
    HouseholdFactory(village=village_a, head_name="真实的户", code="BH-1")
    UserFactory(username="office_w", role="office", township=village_a.township)
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + household.get_absolute_url())
    page.click("text=撤销登记（误登记）")
    page.click("text=确认撤销登记")
    assert "请填写撤销原因" in page.inner_text(".form-error")
    j.shot("reason-required")
    page.fill("#id_reason", "与 BH-1 重复登记")
    page.click("text=确认撤销登记")
    page.wait_for_url("**/households/withdrawn/")
    assert "与 BH-1 重复登记" in page.inner_text("table.data")
    j.shot("withdrawn-list")
    page.goto(j.base + "/households/")
    assert "真实的户" in page.inner_text("main") and "BH-9" not in page.inner_text("table.data")
    assert Household.all_objects.get(pk=household.pk).is_withdrawn

    office = journey("office-restores")
    page = office.login("office_w")
    page.goto(office.base + "/households/withdrawn/")
    page.click("button:has-text('恢复')")
    page.wait_for_load_state()
    office.shot("restored")
    assert "已恢复" in page.inner_text(".messages")
    assert not Household.all_objects.get(pk=household.pk).is_withdrawn


def test_meeting_decides_several_households_by_keyboard(journey, campaign, village_a):
    UserFactory(username="office_m", role="office", township=village_a.township)
    meeting = MeetingFactory(campaign=campaign)
    cases = [make_case(village_a, campaign, state=State.PENDING_REVIEW) for _ in range(3)]
    items = []
    for i, case in enumerate(cases):
        screening_result(
            case.household, campaign, outcome="dibao", per_capita_income=str(3600 + 600 * i)
        )
        HomeVisitFactory(case=case, employment_income_finding=f"第{i + 1}户：户主务农")
        items.append(
            ReviewDecision.objects.create(
                meeting=meeting, case=case, position=i + 1, is_current=False
            )
        )
    DataMatchFactory(case=cases[1], member=cases[1].household.members.first(), vehicles=1)
    j = journey()
    page = j.login("office_m")
    page.goto(j.base + meeting.get_absolute_url())
    first = f"#id_item{items[0].pk}-decision"
    assert page.input_value(first) == "include_dibao"  # pre-filled from the verdict
    row2 = page.locator(f"#item{items[1].pk}")
    assert "信息比对查到车辆 1 辆" in row2.inner_text() and "第2户：户主务农" in row2.inner_text()
    j.shot("agenda-facts")
    page.focus(first)  # from here on, only the keyboard
    tab_to(page, f"#id_item{items[0].pk}-reasons")
    page.keyboard.type("人均收入低于低保标准，入户调查属实")
    tab_to(page, f"#id_item{items[1].pk}-include")
    page.keyboard.press("Space")  # ticked, but no reasons written: refused on its own row
    tab_to(page, f"#id_item{items[1].pk}-counted_members")
    page.keyboard.type("2")
    tab_to(page, f"#id_item{items[2].pk}-reasons")
    page.keyboard.type("人均收入低于标准，家有重病人")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    page.locator(".messages").wait_for()
    j.shot("two-decided-one-error")
    states = [Case.objects.get(pk=c.pk).state for c in cases]
    assert states == ["reviewed", "pending_review", "reviewed"]
    error_row = page.locator(f"#item{items[1].pk}")
    assert "请填写审核理由" in error_row.inner_text()
    assert page.input_value(f"#id_item{items[1].pk}-counted_members") == "2"
    assert page.evaluate("document.activeElement.id") == f"id_item{items[1].pk}-reasons"
    assert "已保存 2 户" in page.inner_text(".messages")
    # The refused row, fixed and saved from the keyboard.
    page.keyboard.type("收入低于标准，入户核实")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
    assert Case.objects.get(pk=cases[1].pk).state == "reviewed"
    j.shot("all-decided")
