"""张榜公示: only name, size and amount; 7-day period; objections re-open cases; report after."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from households.models import Member
from tests.verification.factories import DecisionFactory, make_case
from verification.models import Objection, ReviewDecision
from verification.services import (
    CaseError,
    create_public_notice,
    notice_status,
    record_objection,
    render_public_notice,
    report_notice,
)
from verification.states import State

pytestmark = pytest.mark.django_db
D = ReviewDecision.Decision
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def reviewed(village, campaign, decision=D.INCLUDE_DIBAO, amount="543.00", members=3):
    case = make_case(village, campaign, state=State.REVIEWED, members=members)
    DecisionFactory(
        case=case,
        decision=decision,
        counted_members=members,
        monthly_amount=Decimal(amount) if amount else None,
    )
    return case


@pytest.fixture
def sensitive_case(campaign, village_a):
    """A household whose record holds everything that must never reach a notice."""
    case = reviewed(village_a, campaign)
    household = case.household
    household.address = "洗新乡保合村3组47号"
    household.phone = "13912345678"
    household.hardship_note = "户主患尿毒症长期透析"
    household.save()
    Member.objects.filter(household=household).update(
        serious_illness=True, disability_kind="intellectual", disability_grade=2
    )
    return case


def test_notice_lists_name_size_amount_only(
    campaign, village_a, village_b, office_user, today, sensitive_case
):
    today(date(2022, 11, 24))
    marginal = reviewed(village_a, campaign, decision=D.INCLUDE_MARGINAL, amount=None, members=2)
    negative = reviewed(village_a, campaign, decision=D.REJECT, amount=None)
    elsewhere = reviewed(village_b, campaign)
    notice = create_public_notice(
        campaign=campaign, village=village_a, start_date=date(2022, 11, 24), actor=office_user
    )
    assert notice.number == "洗民公〔2022〕1号" and notice.days == 7
    assert notice.end_date == date(2022, 11, 30)
    assert set(notice.entries.values_list("case_id", flat=True)) == {sensitive_case.pk, marginal.pk}
    for case in (sensitive_case, marginal):
        case.refresh_from_db()
        assert case.state == State.IN_NOTICE
    negative.refresh_from_db()
    elsewhere.refresh_from_db()
    assert negative.state == State.REVIEWED and elsewhere.state == State.REVIEWED

    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_public_notice(notice))).pages
    )
    flat = text.replace("\n", "")
    assert sensitive_case.household.head_name in flat and "543.00" in flat
    assert "拟纳入低保" in flat and "拟纳入低保边缘" in flat
    assert "2022年11月24日至2022年11月30日" in flat
    assert not ID_PATTERN.search(text) and not ID_PATTERN.search(flat)
    for forbidden in ("3组47号", "13912345678", "尿毒症", "透析", "智力", "残疾", "收入明细"):
        assert forbidden not in flat, forbidden
    for member in Member.objects.filter(household=sensitive_case.household):
        assert member.id_number not in flat


def test_notice_needs_candidates_and_office(campaign, village_a, officer_a, office_user, today):
    today(date(2022, 11, 24))
    with pytest.raises(CaseError, match="无需公示"):
        create_public_notice(
            campaign=campaign, village=village_a, start_date=date(2022, 11, 24), actor=office_user
        )
    reviewed(village_a, campaign)
    with pytest.raises(PermissionDenied):
        create_public_notice(
            campaign=campaign, village=village_a, start_date=date(2022, 11, 24), actor=officer_a
        )
    with pytest.raises(CaseError, match="不能早于今天"):
        create_public_notice(
            campaign=campaign, village=village_a, start_date=date(2022, 11, 1), actor=office_user
        )


def test_period_is_tracked_and_report_waits_for_it(campaign, village_a, office_user, today):
    today(date(2022, 11, 24))
    case = reviewed(village_a, campaign)
    notice = create_public_notice(
        campaign=campaign, village=village_a, start_date=date(2022, 11, 24), actor=office_user
    )
    assert notice_status(notice, date(2022, 11, 23)) == "未开始"
    assert notice_status(notice, date(2022, 11, 24)) == "公示中（还剩7天）"
    assert notice_status(notice, date(2022, 11, 30)) == "公示中（还剩1天）"
    assert notice_status(notice, date(2022, 12, 1)) == "公示期满"
    today(date(2022, 11, 30))
    with pytest.raises(CaseError, match="2022年11月30日，期满后才能报县"):
        report_notice(notice=notice, actor=office_user)
    today(date(2022, 12, 1))
    assert report_notice(notice=notice, actor=office_user) == 1
    case.refresh_from_db()
    assert case.state == State.REPORTED


def test_objection_reopens_the_case_and_leaves_the_notice(campaign, village_a, office_user, today):
    today(date(2022, 11, 26))
    case = reviewed(village_a, campaign)
    stays = reviewed(village_a, campaign)
    notice = create_public_notice(
        campaign=campaign, village=village_a, start_date=date(2022, 11, 26), actor=office_user
    )
    entry = notice.entries.get(case=case)
    record_objection(
        entry=entry,
        actor=office_user,
        received_on=date(2022, 11, 26),
        content="群众反映该户有小汽车",
        action=Objection.Action.REINVESTIGATE,
        objector="",
    )
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION
    assert not case.decisions.filter(is_current=True).exists()
    entry.refresh_from_db()
    assert entry.withdrawn
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_public_notice(notice))).pages
    )
    assert case.household.head_name not in text and stays.household.head_name in text
    with pytest.raises(CaseError, match="已不在公示中"):
        record_objection(
            entry=entry,
            actor=office_user,
            received_on=date(2022, 11, 26),
            content="再次反映",
            action=Objection.Action.REREVIEW,
        )
    today(date(2022, 12, 3))
    assert report_notice(notice=notice, actor=office_user) == 1


def test_objection_can_send_case_back_to_review(campaign, village_a, office_user, today):
    today(date(2022, 11, 26))
    case = reviewed(village_a, campaign)
    notice = create_public_notice(
        campaign=campaign, village=village_a, start_date=date(2022, 11, 26), actor=office_user
    )
    record_objection(
        entry=notice.entries.get(),
        actor=office_user,
        received_on=date(2022, 11, 26),
        content="邻居反映外出务工收入较高",
        action=Objection.Action.REREVIEW,
    )
    case.refresh_from_db()
    assert case.state == State.PENDING_REVIEW
