from datetime import date

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import HouseholdFactory, MemberFactory
from verification.models import Case, DataMatchResult, Refusal

pytestmark = pytest.mark.django_db


def case(campaign, household, state):
    return Case.objects.create(
        campaign=campaign, household=household, state=state, source="new_candidate"
    )


@override_settings(APP_TODAY=date(2022, 10, 31))
def test_officer_todo_lists_open_work_of_own_village_only(
    client_for, campaign, officer_a, village_a, village_b
):
    survey = HouseholdFactory(village=village_a, head_name="待摸排户")
    case(campaign, survey, "pending_screening")
    verifying = HouseholdFactory(village=village_a, head_name="待核查户")
    m1 = MemberFactory(household=verifying)
    MemberFactory(household=verifying, relation="spouse")
    c = case(campaign, verifying, "pending_verification")
    DataMatchResult.objects.create(
        case=c, member=m1, matched_on=date(2022, 10, 30), origin="manual"
    )
    refused = HouseholdFactory(village=village_a, head_name="未交回执户")
    rc = case(campaign, refused, "notice_delivered")
    Refusal.objects.create(
        case=rc,
        refused_on=date(2022, 10, 20),
        details="拒绝",
        delivered_on=date(2022, 10, 25),
        delivered_by="专干",
    )
    case(campaign, HouseholdFactory(village=village_b, head_name="外村户"), "pending_screening")

    response = client_for(officer_a).get(reverse("todo"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "待摸排户" in body and "待核查户" in body and "未交回执户" in body
    assert "外村户" not in body
    lists = response.context
    assert [x.household for x in lists["to_survey"]] == [survey]
    assert [x.household for x in lists["match_missing"]] == [verifying]
    assert [x.household for x in lists["visit_missing"]] == [verifying]
    assert [r.case for r in lists["receipts"]] == [rc]
    assert "还有 2 天" in body  # outreach deadline 11-02 seen from 10-31


def test_officer_lands_on_todo_and_office_does_not(client_for, officer_a, office_user, campaign):
    assert client_for(officer_a).get("/").url == reverse("todo")
    assert client_for(office_user).get(reverse("todo")).status_code == 302


def test_todo_query_count_is_flat(
    client_for, campaign, officer_a, village_a, django_assert_max_num_queries
):
    client = client_for(officer_a)
    for _ in range(3):
        case(campaign, HouseholdFactory(village=village_a), "pending_verification")
    with django_assert_max_num_queries(20) as small:
        client.get(reverse("todo"))
    for _ in range(20):
        case(campaign, HouseholdFactory(village=village_a), "pending_verification")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("todo"))
