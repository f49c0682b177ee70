"""Issue 20.12: the edit-conflict table, and no spurious 无身份证号原因 error."""

import re

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, MemberFactory
from tests.households.test_views import household_post

pytestmark = pytest.mark.django_db


def edit_data(household, head, form_page):
    """The edit form's POST as the browser sends it, with the signed `opened` snapshot."""
    opened = re.search(r'name="opened" value="([^"]+)"', form_page).group(1)
    data = household_post(household.village, members=[], version=household.version)
    data.update(
        {
            "opened": opened,
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": head.pk,
            "members-0-household": household.pk,
            "members-0-name": head.name,
            "members-0-id_number": head.id_number,
            "members-0-relation": "head",
            "members-0-work_capacity": "full",
            "members-0-months_without_income": "0",
            "members-0-chongqing_hukou": "on",
            "head_name": household.head_name,
            "address": household.address,
        }
    )
    return data


def test_conflict_table_is_in_chinese_and_shows_what_was_there_when_opened(
    client_for, officer_a, office_user, village_a
):
    household = HouseholdFactory(village=village_a, head_name="孙八", address="原来的住址")
    head = MemberFactory(household=household, name="孙八")
    url = reverse("households:edit", args=[household.pk])
    officer, office = client_for(officer_a), client_for(office_user)
    officer_page = officer.get(url).content.decode()
    office_page = office.get(url).content.decode()
    first = dict(edit_data(household, head, office_page), address="民政办改的住址")
    assert office.post(url, first).status_code == 302
    second = dict(edit_data(household, head, officer_page), address="村专干改的住址")
    response = officer.post(url, second)
    body = response.content.decode()
    table = body[body.index("conflict-table") :]
    table = table[: table.index("</table>")]
    assert ["项目", "您打开时", "对方保存后（现在）", "您填写的"] == re.findall(
        r"<th>([^<]+)</th>", table
    )
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    assert ("住址", "原来的住址", "民政办改的住址", "村专干改的住址") in rows
    assert not any(r[0] in ("address", "version", "版本", "更新时间") for r in rows)


def test_bad_id_number_does_not_also_ask_for_a_no_id_reason(client_for, officer_a, village_a):
    data = household_post(village_a, members=[{"name": "王五", "id_number": "500240197503090011"}])
    response = client_for(officer_a).post(reverse("households:create"), data)
    form = response.context["forms"].members.forms[0]
    assert "id_number" in form.errors
    assert "no_id_reason" not in form.errors


def test_no_id_and_no_reason_is_still_an_error(client_for, officer_a, village_a):
    data = household_post(village_a, members=[{"name": "王五", "id_number": ""}])
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert "no_id_reason" in response.context["forms"].members.forms[0].errors


def test_household_form_saves_only_by_its_button(client_for, officer_a):
    body = client_for(officer_a).get(reverse("households:create")).content.decode()
    assert "data-explicit-save" in body and "data-save-default" in body
    assert "Ctrl+S" in body
