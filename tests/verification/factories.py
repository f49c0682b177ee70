"""Factories and builders for verification tests (the shared tests/factories.py stays untouched)."""

import io
from datetime import date

import factory
from django.utils import timezone

from tests.factories import CampaignFactory, HouseholdFactory, MemberFactory
from verification.models import (
    Bulletin,
    Case,
    DataMatchResult,
    HomeVisit,
    PublicNotice,
    PublicNoticeEntry,
    Refusal,
    ReviewDecision,
    ReviewMeeting,
)
from verification.states import State


def pdf_bytes(pages: int = 1) -> bytes:
    """A small valid PDF made with pypdf."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _png_bytes() -> bytes:
    """A valid 1x1 PNG (scans are verified: a broken checksum is refused, issue 19.2)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), "white").save(buffer, "PNG")
    return buffer.getvalue()


PNG_BYTES = _png_bytes()


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    campaign = factory.SubFactory(CampaignFactory)
    household = factory.SubFactory(HouseholdFactory)
    source = Case.Source.NEW_CANDIDATE
    state = State.PENDING_VERIFICATION


class DataMatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataMatchResult

    case = factory.SubFactory(CaseFactory)
    member = factory.SubFactory(MemberFactory)
    matched_on = date(2022, 11, 8)
    origin = "manual"


class HomeVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HomeVisit

    case = factory.SubFactory(CaseFactory)
    visited_on = date(2022, 11, 9)
    investigators = ["王静", "涂磊"]
    members_finding = "三口人，共同生活"
    employment_income_finding = "户主务农，无稳定收入"
    property_finding = "自建房一处，无车辆"
    spending_finding = "日常开支节俭"
    scan_path = "scans/test/visit.pdf"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewMeeting

    campaign = factory.SubFactory(CampaignFactory)
    held_on = date(2022, 11, 23)
    chair = "冉瑜"
    attendees = ["冉瑜", "王静", "涂磊"]
    recorder = "涂磊"
    sequence = factory.Sequence(lambda n: n + 1)
    number = factory.LazyAttribute(lambda o: f"洗民审〔2022〕{o.sequence}号")


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReviewDecision

    case = factory.SubFactory(CaseFactory)
    meeting = factory.SubFactory(MeetingFactory, campaign=factory.SelfAttribute("..case.campaign"))
    decision = ReviewDecision.Decision.INCLUDE_DIBAO
    reasons = "人均收入低于低保标准，入户调查属实"
    is_current = True


def household_with_members(village, n: int = 2, **kwargs):
    household = HouseholdFactory(village=village, **kwargs)
    members = [
        MemberFactory(household=household, relation="head" if i == 0 else "spouse")
        for i in range(n)
    ]
    household.head_name = members[0].name
    household.save()
    return household, members


def make_case(village, campaign, *, state=State.PENDING_VERIFICATION, members=2, **kwargs) -> Case:
    household, _ = household_with_members(village, members)
    return CaseFactory(campaign=campaign, household=household, state=state, **kwargs)


def survey_done(case: Case) -> None:
    """The officer marked the household's 摸排 complete (it may go on to verification)."""
    type(case.household).objects.filter(pk=case.household_id).update(
        survey_completed_at=timezone.now()
    )
    case.household.refresh_from_db()


def new_meeting(campaign, actor, held_on=date(2022, 11, 23)):
    """A review meeting of the campaign (its agenda built by create_meeting)."""
    from verification.services import create_meeting

    return create_meeting(
        campaign=campaign,
        actor=actor,
        held_on=held_on,
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
    )


def complete_verification(case: Case) -> None:
    """Give every co-resident member a data-match result and the case a home visit."""
    for member in case.household.members.all():
        DataMatchFactory(case=case, member=member)
    HomeVisitFactory(case=case)


def notice_for(
    case: Case, decision: ReviewDecision, *, start=date(2022, 11, 24), withdrawn=False, number=None
):
    if number is None:
        number = PublicNotice.objects.filter(campaign=case.campaign).count() + 1
    notice = PublicNotice.objects.create(
        campaign=case.campaign,
        village=case.household.village,
        start_date=start,
        days=case.campaign.notice_days,
        sequence=number,
        number=f"洗民公〔2022〕{number}号",
    )
    entry = PublicNoticeEntry.objects.create(
        notice=notice,
        case=case,
        decision=decision,
        name=case.household.head_name,
        household_size=2,
        monthly_amount=decision.monthly_amount,
        withdrawn=withdrawn,
    )
    return notice, entry


def refusal_for(case: Case, **kwargs) -> Refusal:
    values = {"refused_on": date(2022, 11, 10), "details": "拒绝签署核查授权书"}
    values.update(kwargs)
    return Refusal.objects.create(case=case, **values)


def screening_result(household, campaign, outcome="dibao", per_capita_income="4800", **kwargs):
    """A current ScreeningResult when the screening app provides the model; else skip the test."""
    import pytest

    from verification.services import screening_link

    model = screening_link.result_model()
    if model is None:
        pytest.skip("screening.ScreeningResult 尚不存在")
    values = {
        "household": household,
        "campaign": campaign,
        "outcome": outcome,
        "per_capita_income": per_capita_income,
        "is_current": True,
        "ruleset_version": "test",
        "as_of": date(2022, 10, 30),
    }
    values.update(kwargs)
    return model.objects.create(**values)


def bulletin_draft(
    campaign, body: str, title: str = "关于摸排工作进展情况的通报（草稿）"
) -> Bulletin:
    """A 通报 draft as the deadline job leaves it (one lagging village), with `body` as saved."""
    figures = [
        {
            "village_id": 1,
            "village": "保合村",
            "total": 2,
            "screened": 1,
            "unscreened": 1,
            "rate": 50.0,
        }
    ]
    return Bulletin.objects.create(
        campaign=campaign, title=title, body=body, figures=figures, generated_on=date(2022, 11, 3)
    )
