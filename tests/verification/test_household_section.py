"""The 核查审核 section of the household page: the case, or why there is none yet."""

from datetime import date

import pytest
from django.urls import reverse

from tests.factories import AssistanceFactory, HouseholdFactory
from tests.verification.factories import household_with_members, make_case, screening_result
from verification.models import Case
from verification.states import State

pytestmark = pytest.mark.django_db

OUT_OF_SCOPE = "不在本次核查审核范围内"
NOT_OPENED = "但核查案件尚未建立"
SYNC = reverse("verification:case_sync")


def household_page(client, household) -> str:
    response = client.get(reverse("households:detail", args=[household.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_screened_dibao_household_without_case_is_in_scope_and_office_can_sync(
    client_for, campaign, village_a, office_user
):
    household, _ = household_with_members(village_a)
    screening_result(household, campaign, outcome="dibao")
    page = household_page(client_for(office_user), household)
    assert OUT_OF_SCOPE not in page
    assert "该户在本次核查审核范围内（新增对象：最新研判结果为“低保”），但核查案件尚未建立" in page
    assert f'action="{SYNC}"' in page and "同步核查范围" in page

    # The button opens the case and comes back to the household page.
    detail = reverse("households:detail", args=[household.pk])
    response = client_for(office_user).post(SYNC, {"next": detail}, follow=True)
    assert response.redirect_chain[-1][0] == detail
    page = response.content.decode()
    assert "新建案件 1 户" in page
    case = Case.objects.get(household=household, campaign=campaign)
    assert reverse("verification:case_detail", args=[case.pk]) in page
    assert NOT_OPENED not in page


def test_officer_is_told_to_ask_the_office(client_for, campaign, village_a, officer_a):
    household, _ = household_with_members(village_a)
    screening_result(household, campaign, outcome="marginal")
    page = household_page(client_for(officer_a), household)
    assert "最新研判结果为“低保边缘”" in page and NOT_OPENED in page
    assert "请联系民政办" in page
    assert f'action="{SYNC}"' not in page


def test_leadership_does_not_open_household_pages(client_for, campaign, village_a, leader):
    household, _ = household_with_members(village_a)
    screening_result(household, campaign, outcome="dibao")
    assert client_for(leader).get(household.get_absolute_url()).status_code == 403


def test_current_recipient_and_lookback_without_case_are_in_scope(
    client_for, campaign, village_a, office_user
):
    recipient, (head, _) = household_with_members(village_a)
    AssistanceFactory(member=head, kind="dibao")
    page = household_page(client_for(office_user), recipient)
    assert "该户在本次核查审核范围内（在册对象），但核查案件尚未建立" in page

    exited, (head, _) = household_with_members(village_a)
    AssistanceFactory(member=head, kind="dibao", end_date=date(2021, 6, 30))
    page = household_page(client_for(office_user), exited)
    assert "该户在本次核查审核范围内（回头看），但核查案件尚未建立" in page


def test_not_eligible_or_unscreened_household_is_out_of_scope(
    client_for, campaign, village_a, office_user
):
    household, _ = household_with_members(village_a)
    screening_result(household, campaign, outcome="not_eligible")
    page = household_page(client_for(office_user), household)
    assert OUT_OF_SCOPE in page and "最新研判结果为“不符合”" in page
    assert NOT_OPENED not in page and f'action="{SYNC}"' not in page

    page = household_page(client_for(office_user), HouseholdFactory(village=village_a))
    assert OUT_OF_SCOPE in page and "本次工作方案尚未对该户研判" in page


def test_existing_case_is_shown(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    page = household_page(client_for(office_user), case.household)
    assert reverse("verification:case_detail", args=[case.pk]) in page and "待审核" in page
    assert OUT_OF_SCOPE not in page and NOT_OPENED not in page


def test_sync_ignores_a_foreign_next_url(client_for, campaign, office_user):
    response = client_for(office_user).post(SYNC, {"next": "https://example.com/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("verification:case_list")
