"""One amount everywhere: screening (Python and SQL), agenda, decision and 公示 agree.

Every household of the table goes the whole way (screen → meeting decision → 公示) under each
rounding unit; the amount stored at each step and printed on each page must be the same.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from screening import services as screening
from screening.models import ScreeningResult
from tests.factories import IncomeFactory
from tests.screening.factories import family
from tests.verification.factories import CaseFactory
from verification.models import PublicNoticeEntry, ReviewDecision
from verification.services import (
    create_meeting,
    create_public_notice,
    decide_case,
    render_minutes,
    render_public_notice,
)
from verification.states import State

pytestmark = pytest.mark.django_db

# (members, annual incomes of the household): shapes that used to split 793 / 792.99.
HOUSEHOLDS = [
    (2, ["4428.34"]),  # per head 2,214.17: (6,972 − 2,214.17) × 2 ÷ 12 = 792.97…
    (1, ["3944.10"]),  # 252.325 a month
    (3, ["1000", "2333.33"]),
    (4, ["7000.01"]),
    (2, ["0.01"]),
]


@pytest.mark.parametrize("rounding", ["yuan", "jiao", "fen"])
def test_the_six_places_show_one_amount(
    rounding, campaign, village_a, office_user, client_for, settings
):
    settings.APP_TODAY = date(2022, 11, 10)
    campaign.benefit_rounding = rounding
    campaign.save()
    cases = []
    for members, incomes in HOUSEHOLDS:
        household = family(village_a, members=members)
        head = household.members.first()
        for amount in incomes:
            IncomeFactory(household=household, member=head, kind="operating", amount=amount)
        cases.append(
            CaseFactory(campaign=campaign, household=household, state=State.PENDING_REVIEW)
        )
    ids = [c.household_id for c in cases]
    python = {}
    for hid in ids:
        python[hid] = screening.screen_household(household_id=hid).monthly_amount
    # The batch path: set-based SQL on PostgreSQL, the Python rules elsewhere.
    screening.screen_households(campaign=campaign, household_ids=ids, force=True)
    batch = dict(
        ScreeningResult.objects.filter(household_id__in=ids, is_current=True).values_list(
            "household_id", "monthly_amount"
        )
    )
    assert batch == python
    unit = {"yuan": Decimal("1"), "jiao": Decimal("0.1"), "fen": Decimal("0.01")}[rounding]
    assert None not in python.values()
    assert all(v == v.quantize(unit) for v in python.values())
    if rounding == "yuan":
        assert python[ids[0]] == Decimal("793")  # not 792.99 or 792.97 anywhere below

    meeting = create_meeting(
        campaign=campaign,
        actor=office_user,
        held_on=date(2022, 11, 10),
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
    )
    for case in cases:
        item = ReviewDecision.objects.get(meeting=meeting, case=case)
        decide_case(item=item, actor=office_user, decision="include_dibao", reasons="符合条件")
    decided = dict(
        ReviewDecision.objects.filter(meeting=meeting).values_list(
            "case__household_id", "monthly_amount"
        )
    )
    assert decided == python
    notice = create_public_notice(
        campaign=campaign, village=village_a, start_date=date(2022, 11, 10), actor=office_user
    )
    posted = dict(
        PublicNoticeEntry.objects.filter(notice=notice).values_list(
            "case__household_id", "monthly_amount"
        )
    )
    assert posted == python

    if rounding == "yuan":  # the printed papers (the dossier files these PDFs) say the same
        minutes, board_pdf = render_minutes(meeting), render_public_notice(notice)
        for pdf, label in ((minutes, "月保障金（元/户）"), (board_pdf, "月保障金（元/户）")):
            text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            assert label in text.replace("\n", "")
            for amount in python.values():
                assert f"{amount:,.2f}" in text

    client = client_for(office_user)
    agenda = client.get(meeting.get_absolute_url()).content.decode()
    board = client.get(reverse("verification:notice_detail", args=[notice.pk])).content.decode()
    assert "月保障金（元/户）" in board
    for case in cases:
        shown = f"{python[case.household_id]:,.2f}"
        page = client.get(case.household.get_absolute_url()).content.decode()
        assert f"测算月保障金 {shown} 元/户" in page
        assert f"月保障金 {shown} 元/户" in agenda
        assert shown in board


@pytest.mark.parametrize("rounding", ["yuan", "jiao", "fen"])
def test_the_rounding_unit_survives_the_policy_snapshot(rounding, campaign):
    from screening.registry import policy_from_campaign, policy_from_dict, policy_to_dict

    campaign.benefit_rounding = rounding
    policy = policy_from_campaign(campaign, as_of=date(2022, 11, 10))
    assert policy_from_dict(policy_to_dict(policy)) == policy
