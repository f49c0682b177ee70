"""民政办 records a 单人户 低保 record in the browser; the rest of the family is flagged at once
(issue 16 point 6; 洗府发〔2022〕156号 三(二): a 单人户's family must be 低保边缘)."""

from datetime import date
from decimal import Decimal

import pytest

from households.models import AssistanceRecord
from tests.factories import HouseholdFactory, IncomeFactory, MemberFactory, make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_office_records_a_single_person_dibao_and_the_family_is_flagged(
    journey, settings, campaign, office_user, village_a
):
    settings.APP_TODAY = date(2022, 11, 10)
    household = HouseholdFactory(village=village_a, head_name="向德明")
    MemberFactory(household=household, name="向德明", id_number=make_id_number(date(1962, 4, 18)))
    disabled = MemberFactory(
        household=household,
        name="向小龙",
        relation="child",
        id_number=make_id_number(date(2000, 6, 11)),
        disability_kind="physical",
        disability_grade=1,
        work_capacity="none",
    )
    IncomeFactory(household=household, kind="operating", amount=Decimal("16000"))

    j = journey()
    page = j.login("office")
    page.goto(j.base + household.get_absolute_url())
    j.shot("household-before")
    page.click("a:has-text('登记救助记录')")
    page.select_option("#id_member", str(disabled.pk))
    page.select_option("#id_kind", "dibao_single")
    page.fill("#id_start_date", "2023-01-01")  # in the future: refused, input kept
    page.fill("#id_monthly_amount", "581")
    page.fill("#id_single_person_basis", "一级肢体残疾")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    j.shot("future-start-refused")
    assert "晚于今天" in page.locator(".has-error").inner_text()
    assert page.input_value("#id_single_person_basis") == "一级肢体残疾"

    page.fill("#id_start_date", "2022-03-01")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_load_state()
    j.shot("household-after")
    record = AssistanceRecord.objects.get(member=disabled)
    assert (record.kind, record.start_date, record.source) == (
        "dibao_single",
        date(2022, 3, 1),
        "manual",
    )
    section = page.locator("#register + table").inner_text()
    assert "向小龙" in section and "低保（单人户）" in section
    # Re-screened on save: the family must now be 低保边缘 (the 单人户 rule), with the member's date.
    body = page.content()
    assert "向小龙于 2022-03-01 按“单人户”纳入低保" in body  # the member's own date
    assert "其家庭须全部纳入低保边缘" in body
