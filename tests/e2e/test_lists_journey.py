"""Lists journey: sort the registry by a column, find a household by its ID tail, export the
list and open the file with openpyxl (frozen header, autofilter, typed numbers)."""

from decimal import Decimal

import pytest
from openpyxl import load_workbook

from screening import services
from tests.factories import HouseholdFactory, IncomeFactory, MemberFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def codes(page) -> list[str]:
    return page.locator("table.data tbody tr td:first-child a").all_inner_texts()


def test_sort_search_by_id_tail_and_export(journey, office_user, campaign, village_a, tmp_path):
    for code, head in (("A-0003", "蔡三"), ("A-0001", "白一"), ("A-0002", "安二")):
        household = HouseholdFactory(village=village_a, code=code, head_name=head)
        member = MemberFactory(household=household, name=head, relation="head")
        IncomeFactory(household=household, amount=Decimal("3600.50"))
        services.screen_household(household_id=household.pk)
    tail = member.id_number[-6:]  # 安二's
    j = journey()
    page = j.login("office")

    page.goto(j.base + "/households/")
    assert codes(page) == ["A-0001", "A-0002", "A-0003"]
    assert page.locator("td.verdict").count() == 3
    page.click("a[data-sort=code]")
    page.click("a[data-sort=code]")  # a second click sorts the other way
    page.wait_for_load_state()
    assert codes(page) == ["A-0003", "A-0002", "A-0001"]
    assert "户编号▼" in page.locator("a[data-sort=code]").inner_text()
    j.shot("sorted-by-code-descending")

    page.fill("input[name=q]", tail)
    page.click("button:has-text('查询')")
    page.wait_for_load_state()
    assert codes(page) == ["A-0002"]
    assert tail not in page.url  # the search text stays out of the URL (issue 19.6)
    j.shot("found-by-id-tail")

    page.fill("input[name=q]", "")
    page.click("button:has-text('查询')")
    page.wait_for_load_state()
    with page.expect_download() as download:
        page.click("a:has-text('导出Excel')")
    path = tmp_path / "households.xlsx"
    download.value.save_as(path)

    wb = load_workbook(path)
    members, incomes = wb["家庭成员"], wb["收入"]
    assert members.freeze_panes == "A2" and members.auto_filter.ref.startswith("A1:")
    header = [c.value for c in members[1]]
    rows = list(members.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == ["A-0003", "A-0002", "A-0001"]  # the page's sort
    assert all("*" in r[header.index("身份证号")].value for r in rows)  # masked by default
    petitions = [r[header.index("低保信访次数")] for r in rows]
    assert all(c.data_type == "n" and c.value == 0 for c in petitions)
    amounts = [r[3] for r in incomes.iter_rows(min_row=2)]
    assert [c.value for c in amounts] == [3600.5] * 3
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in amounts)
    assert incomes.freeze_panes == "A2" and incomes.auto_filter.ref == "A1:G4"
