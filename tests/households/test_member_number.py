"""Issue 20.6: an income row may name its member by number (“2” = the second member row)."""

from datetime import date

import pytest
from django.urls import reverse

from households.models import Household
from tests.factories import make_id_number
from tests.households.test_views import household_post

pytestmark = pytest.mark.django_db


def two_members():
    return [
        {"name": "谭德福", "id_number": make_id_number(date(1968, 3, 1))},
        {"name": "秦玉兰", "id_number": make_id_number(date(1970, 7, 9), female=True)},
    ]


def test_income_member_given_by_number_is_saved_as_that_member(client_for, officer_a, village_a):
    data = household_post(
        village_a,
        members=two_members(),
        incomes=[
            {"member_name": "2", "amount": "3000"},
            {"member_name": "谭德福", "amount": "9600"},
        ],
    )
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.status_code == 302
    household = Household.objects.get(head_name="谭德福")
    assert sorted(household.incomes.values_list("member__name", "amount")) == [
        ("秦玉兰", 3000),
        ("谭德福", 9600),
    ]


@pytest.mark.parametrize("number", ["3", "0"])
def test_a_number_with_no_member_row_is_an_error(client_for, officer_a, village_a, number):
    data = household_post(
        village_a, members=two_members(), incomes=[{"member_name": number, "amount": "100"}]
    )
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.status_code == 200
    errors = response.context["forms"].incomes.forms[0].errors["member_name"]
    assert errors == [f"本户没有第 {number} 位成员。"]
    assert not Household.objects.filter(head_name="谭德福").exists()
