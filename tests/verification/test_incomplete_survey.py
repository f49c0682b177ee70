"""A household screened 需人工复核 for 未登记收入 (an incomplete survey) is never counted as
eligible on the dashboard nor put on a review agenda (issue 18 point 2), until its income is
registered and it is re-screened."""

from datetime import date
from decimal import Decimal

import pytest

from screening import services as screening
from screening.models import ScreeningResult
from tests.factories import IncomeFactory
from tests.screening.factories import family
from verification.models import Case
from verification.services import build_agenda, create_meeting
from verification.states import State
from xixin_dibao import dashboard

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(settings):
    settings.APP_TODAY = date(2022, 11, 22)


def test_no_income_line_keeps_a_household_off_the_dibao_count_and_the_agenda(
    campaign, village_a, office_user
):
    village_a.township = campaign.township
    village_a.save()
    silent = family(village_a, members=2)  # two adults able to work, no income at all
    poor = family(village_a, income="3000", members=1)
    for household in (silent, poor):
        screening.screen_household(household_id=household.pk)
        Case.objects.create(
            campaign=campaign,
            household=household,
            source="new_candidate",
            state=State.PENDING_REVIEW,
        )
    result = ScreeningResult.objects.get(household=silent, is_current=True)
    assert result.outcome == "manual_review" and "income_not_registered" in result.flag_list
    assert result.monthly_amount is None
    [flag] = [f for f in result.data["flags"] if f["code"] == "income_not_registered"]
    for member in silent.members.all():
        assert member.name in flag["message"]

    dashboard.refresh_snapshot(campaign=campaign)
    total = dashboard.current_snapshot(campaign).data["total"]
    assert total["outcome_dibao"] == 1 and total["outcome_manual_review"] == 1

    meeting = create_meeting(
        campaign=campaign,
        actor=office_user,
        held_on=date(2022, 11, 23),
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
    )
    assert list(meeting.items.values_list("case__household_id", flat=True)) == [poor.pk]

    # Income registered (even none, written down as 0 with its reason) and re-screened.
    IncomeFactory(household=silent, member=None, kind="other", amount=Decimal("0"))
    screening.screen_household(household_id=silent.pk)
    assert ScreeningResult.objects.get(household=silent, is_current=True).outcome == "dibao"
    assert build_agenda(meeting=meeting) == 1
