"""Household list: the verdict column, sortable columns, search by ID tail and by address."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from households import views
from households.models import Household
from screening import services
from screening.models import ScreeningResult
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
CODE_RE = re.compile(r'<a href="/households/\d+/">([^<]+)</a>')


def codes(response) -> list[str]:
    assert response.status_code == 200
    return CODE_RE.findall(response.content.decode())


def search(client, text: str, **extra):
    """Post the search box like the page does and follow to the list."""
    response = client.post(reverse("households:list"), {"q": text, **extra})
    assert response.status_code == 302
    return client.get(response.url)


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("code", ["A1", "B2", "C3"]),
        ("-code", ["C3", "B2", "A1"]),
        ("head", ["B2", "C3", "A1"]),
        ("bogus", ["A1", "B2", "C3"]),
        ("-", ["A1", "B2", "C3"]),
        ("code;drop", ["A1", "B2", "C3"]),
    ],
)
def test_sort_keys_are_whitelisted(client_for, office_user, village_a, sort, expected):
    for code, head in (("C3", "c"), ("A1", "z"), ("B2", "a")):
        HouseholdFactory(village=village_a, code=code, head_name=head)
    response = client_for(office_user).get(reverse("households:list"), {"sort": sort})
    assert codes(response) == expected


def test_sort_links_flip_the_direction_and_keep_filters(client_for, office_user, village_a):
    HouseholdFactory(village=village_a, code="A1")
    url = reverse("households:list")
    page = client_for(office_user).get(url, {"sort": "code", "status": "none"}).content.decode()
    assert 'href="?status=none&amp;sort=-code" data-sort="code">户编号▲' in page
    assert 'href="?status=none&amp;sort=head" data-sort="head">户主<' in page
    assert views.household_order("-created") == ("-created_at", "-code")
    assert views.household_order("-head_name") == views.DEFAULT_ORDER


def test_verdict_column_shows_the_current_verdict(client_for, office_user, campaign, village_a):
    screened = HouseholdFactory(village=village_a, code="S1")
    MemberFactory(household=screened, relation="head")
    services.screen_household(household_id=screened.pk, actor=office_user)
    HouseholdFactory(village=village_a, code="S2")
    page = client_for(office_user).get(reverse("households:list")).content.decode()
    verdicts = re.findall(r'<td class="verdict">([^<]*)</td>', page)
    label = ScreeningResult.objects.get(household=screened, is_current=True).get_outcome_display()
    assert verdicts == [label, "未研判"]


def test_search_by_id_tail_and_by_address(client_for, office_user, village_a):
    target = HouseholdFactory(village=village_a, code="T1", address="保合村3组18号")
    member = MemberFactory(household=target, relation="spouse")
    other = HouseholdFactory(village=village_a, code="T2", address="保合村5组")
    MemberFactory(household=other, relation="head")
    client = client_for(office_user)
    for n in (4, 6):
        tail = member.id_number[-n:]
        expected = sorted(
            h.code for h in Household.objects.filter(members__id_number__endswith=tail).distinct()
        )
        assert codes(search(client, tail)) == expected and "T1" in expected
    assert codes(search(client, "3组18")) == ["T1"]
    assert codes(search(client, "5组")) == ["T2"]


def test_id_tail_ending_in_x_matches_lower_case_too(client_for, office_user, village_a):
    household = HouseholdFactory(village=village_a, code="X1")
    member = MemberFactory(household=household, relation="head")
    member.id_number = member.id_number[:-1] + "X"
    member.save()
    assert codes(search(client_for(office_user), member.id_number[-4:].lower())) == ["X1"]


def test_search_keeps_the_sort(client_for, office_user, village_a):
    HouseholdFactory(village=village_a, code="A1", address="同村")
    HouseholdFactory(village=village_a, code="B1", address="同村")
    response = search(client_for(office_user), "同村", sort="-code")
    assert codes(response) == ["B1", "A1"]


def test_officer_finds_no_household_of_another_village_by_tail(
    client_for, officer_a, village_a, village_b
):
    hidden = MemberFactory(household=HouseholdFactory(village=village_b, code="B9"))
    assert codes(search(client_for(officer_a), hidden.id_number[-6:])) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index is PostgreSQL's")
def test_id_tail_search_uses_the_reversed_index(village_a):
    MemberFactory(household=HouseholdFactory(village=village_a))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        qs = views.id_tail_households("1234")
        plan = qs.explain()
        cursor.execute("SET enable_seqscan = on")
    assert "households_member_id_reversed_idx" in plan
