"""Issue 20.3: a household registered by mistake is withdrawn (before review), and counts nowhere."""

import pytest
from django.urls import reverse

from households.models import Household
from households.services import WithdrawError, restore_household, withdraw_household
from screening.models import ScreeningResult
from tests.factories import AssistanceFactory, HouseholdFactory, MemberFactory
from tests.verification.factories import CaseFactory, screening_result
from verification.models import Case
from verification.services import deadlines
from verification.states import State
from xixin_dibao import dashboard
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def mistake(village_a):
    household = HouseholdFactory(village=village_a, head_name="误登记户")
    MemberFactory(household=household, name="误登记户")
    household.group_records.create(group=1, evidence="测试")
    return household


def test_officer_withdraws_with_a_reason_and_it_is_audited(client_for, officer_a, mistake):
    client = client_for(officer_a)
    url = reverse("households:withdraw", args=[mistake.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200 and "请填写撤销原因" in response.content.decode()
    assert not Household.all_objects.get(pk=mistake.pk).is_withdrawn
    response = client.post(url, {"reason": "重复登记"})
    assert response.status_code == 302
    withdrawn = Household.all_objects.get(pk=mistake.pk)
    assert withdrawn.withdrawn_by == officer_a and withdrawn.withdrawn_reason == "重复登记"
    event = AuditEvent.objects.get(household_id=mistake.pk, summary__startswith="撤销登记")
    assert event.actor == officer_a and "重复登记" in event.summary
    listing = client.get(reverse("households:list")).context["households"]
    assert mistake.pk not in [h.pk for h in listing]
    page = client.get(reverse("households:withdrawn")).content.decode()
    assert "误登记户" in page and "重复登记" in page
    detail = client.get(mistake.get_absolute_url()).content.decode()
    assert (
        "data-withdrawn" in detail and reverse("households:edit", args=[mistake.pk]) not in detail
    )
    assert client.get(reverse("households:edit", args=[mistake.pk])).status_code == 404


def test_withdrawn_household_counts_nowhere(officer_a, office_user, mistake, campaign, village_a):
    kept = HouseholdFactory(village=village_a, head_name="真实户")
    kept.group_records.create(group=1)
    screening_result(mistake, campaign)
    case = CaseFactory(campaign=campaign, household=mistake, state=State.PENDING_SCREENING)
    before = dashboard.compute(campaign)
    assert deadlines.unscreened_households(campaign).filter(pk=mistake.pk).exists()
    withdraw_household(actor=officer_a, household=mistake, reason="录错村")
    assert not Household.objects.filter(pk=mistake.pk).exists()
    assert not Case.objects.filter(pk=case.pk).exists() and Case.all_objects.filter(pk=case.pk)
    assert not ScreeningResult.objects.current(campaign).filter(household=mistake).exists()
    assert not deadlines.unscreened_households(campaign).filter(pk=mistake.pk).exists()
    assert not deadlines.outreach_scope(campaign).filter(pk=mistake.pk).exists()
    after = dashboard.compute(campaign)
    assert after != before
    assert Household.objects.for_user(office_user).count() == 1
    restore_household(actor=office_user, household=mistake)
    assert Household.objects.filter(pk=mistake.pk).exists()
    assert deadlines.outreach_scope(campaign).filter(pk=mistake.pk).exists()
    assert AuditEvent.objects.filter(household_id=mistake.pk, summary__startswith="恢复").exists()


def test_withdrawal_is_refused_once_the_household_went_to_review(officer_a, mistake, campaign):
    CaseFactory(campaign=campaign, household=mistake, state=State.PENDING_REVIEW)
    with pytest.raises(WithdrawError, match="集体研究审核"):
        withdraw_household(actor=officer_a, household=mistake, reason="重复登记")
    assert Household.objects.filter(pk=mistake.pk).exists()


def test_a_household_on_assistance_is_not_a_mistake(officer_a, village_a):
    household = HouseholdFactory(village=village_a)
    AssistanceFactory(member=MemberFactory(household=household), kind="dibao")
    household.refresh_from_db()
    with pytest.raises(WithdrawError, match="正在享受救助"):
        withdraw_household(actor=officer_a, household=household, reason="重复登记")


def test_only_the_office_restores(client_for, officer_a, office_user, mistake):
    withdraw_household(actor=officer_a, household=mistake, reason="重复登记")
    url = reverse("households:restore", args=[mistake.pk])
    assert client_for(officer_a).post(url).status_code == 403
    assert Household.all_objects.get(pk=mistake.pk).is_withdrawn
    response = client_for(office_user).post(url)
    assert response.status_code == 302
    assert not Household.all_objects.get(pk=mistake.pk).is_withdrawn


def test_other_village_officer_cannot_withdraw(client_for, officer_b, mistake):
    url = reverse("households:withdraw", args=[mistake.pk])
    assert client_for(officer_b).post(url, {"reason": "恶作剧"}).status_code == 404
    assert not Household.all_objects.get(pk=mistake.pk).is_withdrawn


def test_codes_of_withdrawn_households_are_not_given_out_again(officer_a, village_a, mistake):
    from households.services import next_household_code

    mistake.code = f"{village_a.code}-0007"
    mistake.save()
    withdraw_household(actor=officer_a, household=mistake, reason="重复登记")
    assert next_household_code(village_a) == f"{village_a.code}-0008"


def test_a_screening_run_leaves_a_withdrawn_household_out(officer_a, mistake, campaign):
    from screening.services import screen_households

    withdraw_household(actor=officer_a, household=mistake, reason="重复登记")
    screen_households(campaign=campaign)
    assert not ScreeningResult.objects.filter(household=mistake, is_current=True).exists()
