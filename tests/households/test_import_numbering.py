"""Issue 20.7: a blank or temporary 户编号 in the import is numbered per village."""

import io

import pytest
from django.urls import reverse

from households.importing import import_households_file
from households.models import Household
from tests.factories import HouseholdFactory
from tests.households.factories import id_for, income, member, upload, xlsx_bytes

pytestmark = pytest.mark.django_db


def run(actor, sheets):
    return import_households_file(actor=actor, fileobj=io.BytesIO(xlsx_bytes(sheets)))


def test_blank_and_temporary_codes_are_numbered_per_village(officer_a, village_a):
    HouseholdFactory(village=village_a, code=f"{village_a.code}-0004")
    result = run(
        officer_a,
        {
            "家庭成员": [
                member(None, "甲户主", id_for(1), "户主"),
                member(None, "甲妻", id_for(2), "配偶"),
                member("新1", "乙户主", id_for(3), "户主"),
                member(None, "丙户主", id_for(4), "户主"),
            ],
            "收入": [income("新1", 6000, 成员姓名="乙户主")],
        },
    )
    assert result.ok, result.errors
    prefix = f"{village_a.code}-"
    codes = {h.head_name: h.code for h in Household.objects.exclude(code=f"{prefix}0004")}
    assert codes == {
        "甲户主": f"{prefix}0005",
        "乙户主": f"{prefix}0006",
        "丙户主": f"{prefix}0007",
    }
    assert Household.objects.get(head_name="甲户主").members.count() == 2
    assert Household.objects.get(head_name="乙户主").incomes.get().amount == 6000
    assert not Household.objects.filter(code__startswith="新").exists()
    assert ("新1", f"{prefix}0006", "乙户主") in result.summary.numbered
    assert ("第2行（户编号为空）", f"{prefix}0005", "甲户主") in result.summary.numbered


def test_blank_code_row_that_is_not_a_head_and_follows_no_new_household_is_an_error(
    officer_a, village_a
):
    result = run(
        officer_a,
        {
            "家庭成员": [
                member("500240214201-B1", "张三", id_for(1), "户主"),
                member(None, "李四", id_for(2), "配偶"),
            ]
        },
    )
    assert not result.ok
    assert [(e.row, e.column) for e in result.errors] == [(3, "户编号")]
    assert "户主在第一行" in result.errors[0].message


def test_result_page_shows_the_new_codes(client_for, officer_a, village_a):
    data = xlsx_bytes({"家庭成员": [member("新7", "冉光明", id_for(9), "户主")]})
    response = client_for(officer_a).post(reverse("households:import"), {"file": upload(data)})
    body = response.content.decode()
    assert "自动编号的新户" in body and f"{village_a.code}-0001" in body and "新7" in body


def test_a_code_already_in_the_system_is_kept_even_if_it_looks_temporary(officer_a, village_a):
    HouseholdFactory(village=village_a, code="新1", head_name="旧户")
    result = run(officer_a, {"家庭成员": [member("新1", "旧户", id_for(5), "户主")]})
    assert result.ok, result.errors
    assert Household.objects.filter(code="新1").count() == 1 and not result.summary.numbered
