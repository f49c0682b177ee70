"""The 摸排 completeness state (issue 18 point 2): the officer marks it, the page lists what is
missing, only complete households are 已摸排, and the deadline checks and the dashboard agree."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import Household, Member
from households.survey import (
    SurveyError,
    able_members_without_income,
    mark_survey_complete,
    reopen_survey,
    survey_gaps,
)
from screening.registry import facts_for_households
from screening.rules import CampaignPolicy, evaluate
from tests.factories import IncomeFactory
from tests.screening.factories import GroupRecordFactory, family
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(settings):
    settings.APP_TODAY = date(2022, 10, 25)


@pytest.mark.parametrize(
    ("born", "changes", "income", "missing"),
    [
        (date(1980, 1, 1), {}, None, True),
        (date(1980, 1, 1), {"work_capacity": "partial"}, None, True),
        (date(1980, 1, 1), {}, "0", False),  # an income line of 0, with its reason
        (date(1950, 1, 1), {}, None, False),
        (date(2012, 1, 1), {}, None, False),
        (date(1980, 1, 1), {"student_level": "college"}, None, False),
        (date(1980, 1, 1), {"work_capacity": "none"}, None, False),
        (date(1980, 1, 1), {"exclusion": "prison"}, None, False),
        (date(1980, 1, 1), {"stable_employment_no_proof": True}, None, False),
    ],
)
def test_the_survey_gap_is_the_screening_rule(campaign, village_a, born, changes, income, missing):
    """The page's 未登记收入 and the screening's agree on the same households."""
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, members=1, born=born)
    household.members.update(**changes)
    if income is not None:
        IncomeFactory(household=household, member=None, kind="other", amount=Decimal(income))
    gap = bool(able_members_without_income(household))
    facts = facts_for_households([household.pk])[household.pk]
    verdict = evaluate(facts, CampaignPolicy.default_2022())
    flagged = "income_not_registered" in {f.code for f in verdict.flags}
    assert gap == flagged == missing


def test_marking_complete_is_refused_while_something_is_missing(
    campaign, village_a, officer_a, client_for
):
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, members=2)
    names = "、".join(household.members.order_by("pk").values_list("name", flat=True))
    Member.objects.filter(pk=household.members.last().pk).update(disability_kind="physical")
    gaps = survey_gaps(household)
    assert gaps[0].startswith(f"未登记收入：{names} 处于劳动年龄且有劳动能力")
    assert "登记了残疾类别，但没有残疾等级" in gaps[1]
    with pytest.raises(SurveyError, match="还不能标记摸排完成：未登记收入"):
        mark_survey_complete(household=household, actor=officer_a)

    client = client_for(officer_a)
    body = client.get(household.get_absolute_url()).content.decode()
    assert "摸排未完成" in body and "还缺少：" in body and "未登记收入：" in body
    edit = client.get(reverse("households:edit", args=[household.pk])).content.decode()
    assert "还缺少：" in edit and "未登记收入：" in edit
    response = client.post(reverse("households:survey", args=[household.pk]), follow=True)
    assert "还不能标记摸排完成" in response.content.decode()
    assert not Household.objects.surveyed().filter(pk=household.pk).exists()


def test_an_officer_marks_the_survey_complete_and_the_office_can_take_it_back(
    campaign, village_a, officer_a, office_user, client_for
):
    village_a.township = campaign.township
    village_a.save()
    household = family(village_a, income="6000", members=2)
    assert survey_gaps(household) == []
    response = client_for(officer_a).post(
        reverse("households:survey", args=[household.pk]), follow=True
    )
    assert "已标记摸排完成" in response.content.decode()
    household.refresh_from_db()
    assert household.survey_complete and household.survey_completed_by == officer_a
    assert Household.objects.surveyed().filter(pk=household.pk).exists()
    assert AuditEvent.objects.filter(household_id=household.pk, summary__contains="摸排完成")

    # The village officer cannot take it back; the office can, with a reason.
    client_for(officer_a).post(
        reverse("households:survey", args=[household.pk]), {"action": "reopen", "reason": "x"}
    )
    household.refresh_from_db()
    assert household.survey_complete
    with pytest.raises(SurveyError, match="请填写撤销摸排完成的原因"):
        reopen_survey(household=household, actor=office_user, reason=" ")
    client_for(office_user).post(
        reverse("households:survey", args=[household.pk]),
        {"action": "reopen", "reason": "收入漏报，退回补录"},
    )
    household.refresh_from_db()
    assert not household.survey_complete
    assert AuditEvent.objects.filter(summary__contains="撤销摸排完成（收入漏报，退回补录）")


def test_a_read_only_user_cannot_mark_a_survey(campaign, village_a, leader, client_for):
    household = family(village_a, income="6000")
    response = client_for(leader).post(reverse("households:survey", args=[household.pk]))
    assert response.status_code in (403, 404)
    household.refresh_from_db()
    assert not household.survey_complete


def test_deadline_checks_and_dashboard_count_the_same_surveyed_households(
    campaign, village_a, officer_a
):
    """已摸排 is one state: the deadline checks' figures and the dashboard's agree."""
    from verification.services import ensure_cases, unscreened_households, village_figures
    from xixin_dibao.dashboard import household_conditions, household_queryset

    village_a.township = campaign.township
    village_a.save()
    homes = [family(village_a, income="3000") for _ in range(4)]
    for home in homes:
        GroupRecordFactory(household=home, group=11)
    from screening.services import screen_households

    screen_households(campaign=campaign)  # screened, yet not 已摸排 until marked
    ensure_cases(campaign=campaign)
    assert set(unscreened_households(campaign)) == set(homes)
    for home in homes[:3]:
        mark_survey_complete(household=home, actor=officer_a)
    ensure_cases(campaign=campaign)

    [row] = [f for f in village_figures(campaign) if f["village_id"] == village_a.pk]
    qs, has_results, has_cases = household_queryset(campaign, date(2022, 10, 25))
    conditions = household_conditions(has_results, has_cases)
    done = qs.filter(conditions["outreach_done"]).distinct().count()
    assert row["screened"] == done == 3
    assert list(unscreened_households(campaign)) == [homes[3]]
    # Only the surveyed went forward to verification.
    states = dict(campaign.case_set.values_list("household_id", "state"))
    assert {states[h.pk] for h in homes[:3]} == {"pending_verification"}
    assert states[homes[3].pk] == "pending_screening"
