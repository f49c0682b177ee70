from datetime import date

import pytest

from households.models import Household
from tests.factories import HouseholdFactory, make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_officer_creates_household_finds_it_and_cannot_see_other_village(
    journey, officer_a, village_a, village_b
):
    other = HouseholdFactory(village=village_b, head_name="外村户主")
    j = journey()
    page = j.login("officer_a")
    j.shot("start-page")
    page.goto(j.base + "/households/new/")
    page.fill("#id_head_name", "谭玥")
    page.fill("#id_address", "洗新乡保合村2组")
    # The head's row is there already; a second member is added without a page reload.
    page.fill("#id_members-0-name", "谭玥")
    page.fill("#id_members-0-id_number", make_id_number(date(1980, 4, 2), female=True))
    page.select_option("#id_members-0-relation", "head")
    assert page.input_value("#id_members-0-birth_date") == "1980-04-02"
    assert page.input_value("#id_members-0-sex") == "F"
    page.click("[data-formset=members] [data-add-row]")
    page.fill("#id_members-1-name", "马犇")
    page.fill("#id_members-1-id_number", make_id_number(date(1978, 9, 9)))
    page.select_option("#id_members-1-relation", "spouse")
    page.click("[data-formset=incomes] [data-add-row]")
    page.fill("#id_incomes-0-member_name", "马犇")
    page.select_option("#id_incomes-0-kind", "wage")
    page.fill("#id_incomes-0-amount", "9600")
    j.shot("filled-form")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    j.shot("saved-detail")
    assert "已保存" in page.content()
    household = Household.objects.get(head_name="谭玥")
    assert household.members.count() == 2 and household.incomes.count() == 1

    page.goto(j.base + "/households/?q=谭玥")
    j.shot("search-result")
    assert page.locator("table.data td", has_text="谭玥").count() >= 1

    response = page.goto(j.base + f"/households/{other.pk}/")
    assert response.status == 404
    j.shot("other-village-404")
    assert "外村户主" not in page.content()


def test_wrong_id_number_is_flagged_in_chinese_and_input_kept(journey, officer_a, village_a):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    page.fill("#id_head_name", "冉淼")
    page.fill("#id_members-0-name", "冉淼")
    page.fill("#id_members-0-id_number", "500240198004020011")
    page.select_option("#id_members-0-relation", "head")
    assert "校验位" in page.locator(".dup-warning").first.inner_text()
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    j.shot("rejected-form")
    assert "身份证号校验位错误" in page.content()
    assert page.input_value("#id_members-0-name") == "冉淼"
    assert not Household.objects.filter(head_name="冉淼").exists()
