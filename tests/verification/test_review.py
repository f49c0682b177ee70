"""Review meetings: agenda, decisions, gap-method amounts, recusal, negative-decision notice."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from tests.factories import AssistanceFactory, UserFactory
from tests.verification.factories import (
    DecisionFactory,
    HomeVisitFactory,
    MeetingFactory,
    make_case,
    screening_result,
)
from verification.models import Case, ReviewDecision
from verification.services import (
    CaseError,
    ConflictError,
    RecusalError,
    build_agenda,
    create_meeting,
    decide_case,
    declare_relative,
    render_decision_notice,
    render_minutes,
    screening_link,
)
from verification.services.review import gap_amount
from verification.states import State

pytestmark = pytest.mark.django_db
D = ReviewDecision.Decision


def pdf_text(data: bytes) -> str:
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    return text.replace("\n", "")


@pytest.fixture
def meeting(campaign, office_user):
    return create_meeting(
        campaign=campaign,
        actor=office_user,
        held_on=date(2022, 11, 23),
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
        location="乡政府会议室",
    )


def agenda_item(meeting, case):
    build_agenda(meeting=meeting)
    return ReviewDecision.objects.get(meeting=meeting, case=case)


@pytest.mark.parametrize(
    ("annual", "members", "rounding", "amount"),
    [
        ("4800", 3, "fen", "543.00"),
        ("3999.96", 2, "fen", "495.34"),
        ("3999.96", 2, "jiao", "495.3"),
        ("3999.96", 2, "yuan", "495"),
        ("2214.16", 2, "yuan", "793"),  # (6972 − 2214.16) × 2 ÷ 12 = 792.97…
        ("2214.16", 2, "fen", "792.97"),
    ],
)
def test_gap_method(annual, members, rounding, amount):
    assert gap_amount(
        standard_monthly=Decimal("581"),
        per_capita_annual=Decimal(annual),
        members=members,
        rounding=rounding,
    ) == Decimal(amount)


def test_meeting_agenda_holds_cases_ready_for_review(campaign, village_a, village_b, office_user):
    ready_a = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    ready_b = make_case(village_b, campaign, state=State.PENDING_REVIEW)
    make_case(village_a, campaign, state=State.PENDING_VERIFICATION)
    meeting = create_meeting(
        campaign=campaign,
        actor=office_user,
        held_on=date(2022, 11, 23),
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
    )
    assert meeting.number == "洗民审〔2022〕1号"
    assert set(meeting.items.values_list("case_id", flat=True)) == {ready_a.pk, ready_b.pk}
    late = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    assert build_agenda(meeting=meeting) == 1
    assert build_agenda(meeting=meeting) == 0
    assert meeting.items.get(case=late).position == 3


def test_meeting_needs_three_attendees_and_office(campaign, officer_a, office_user):
    with pytest.raises(PermissionDenied):
        create_meeting(
            campaign=campaign,
            actor=officer_a,
            held_on=date(2022, 11, 23),
            chair="a",
            attendees=["a", "b", "c"],
            recorder="c",
        )
    with pytest.raises(CaseError, match="至少三名"):
        create_meeting(
            campaign=campaign,
            actor=office_user,
            held_on=date(2022, 11, 23),
            chair="a",
            attendees=["a", "b"],
            recorder="b",
        )


def test_include_dibao_with_manual_income_computes_amount(
    meeting, campaign, village_a, office_user, monkeypatch
):
    monkeypatch.setattr(screening_link, "result_model", lambda: None)
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW, members=3)
    item = agenda_item(meeting, case)
    decide_case(
        item=item,
        actor=office_user,
        decision=D.INCLUDE_DIBAO,
        reasons="收入低于标准，入户属实",
        per_capita_income_monthly=Decimal("400"),
        expected_version=case.version,
    )
    item.refresh_from_db()
    assert item.monthly_amount == Decimal("543.00") and item.counted_members == 3
    assert item.income_source == "manual" and item.standard_monthly == Decimal("581.00")
    case.refresh_from_db()
    assert case.state == State.REVIEWED
    assert "纳入低保" in case.transitions.last().reason


def test_income_comes_from_screening_when_not_typed(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW, members=2)
    screening_result(case.household, campaign, per_capita_income="4800", member_count=2)
    item = agenda_item(meeting, case)
    decide_case(item=item, actor=office_user, decision=D.INCLUDE_DIBAO, reasons="收入低于标准")
    item.refresh_from_db()
    assert item.per_capita_income_monthly == Decimal("400.00") and item.income_source == "screening"
    assert item.monthly_amount == Decimal("362.00")


def test_without_any_income_the_amount_cannot_be_computed(
    meeting, campaign, village_a, office_user, monkeypatch
):
    monkeypatch.setattr(screening_link, "result_model", lambda: None)
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    with pytest.raises(CaseError, match="请填写人均月收入") as exc:
        decide_case(item=item, actor=office_user, decision=D.INCLUDE_DIBAO, reasons="收入低于标准")
    assert exc.value.field == "per_capita_income_monthly"
    case.refresh_from_db()
    assert case.state == State.PENDING_REVIEW


def test_income_above_standard_has_no_gap(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    with pytest.raises(CaseError, match="不低于低保标准"):
        decide_case(
            item=item,
            actor=office_user,
            decision=D.INCLUDE_DIBAO,
            reasons="理由理由",
            per_capita_income_monthly=Decimal("581"),
        )


def test_marginal_and_negative_decisions_carry_no_amount(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    decide_case(
        item=item,
        actor=office_user,
        decision=D.INCLUDE_MARGINAL,
        reasons="收入在边缘区间",
        per_capita_income_monthly=Decimal("700"),
    )
    item.refresh_from_db()
    assert item.monthly_amount is None and item.notice_number == ""


def test_maintain_pays_only_current_dibao(meeting, campaign, village_a, office_user):
    case = make_case(
        village_a, campaign, state=State.PENDING_REVIEW, members=2, source="current_recipient"
    )
    head = case.household.members.first()
    AssistanceFactory(member=head, kind="dibao_single")
    item = agenda_item(meeting, case)
    decide_case(
        item=item,
        actor=office_user,
        decision=D.MAINTAIN,
        reasons="情况未变化，维持",
        per_capita_income_monthly=Decimal("300"),
    )
    item.refresh_from_db()
    assert item.counted_members == 1  # a 单人户 counts the one person on dibao
    assert item.monthly_amount == Decimal("281.00")


def test_negative_decision_gets_a_notice_with_reasons(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    decide_case(
        item=item,
        actor=office_user,
        decision=D.EXIT,
        reasons="信息比对查到小汽车一辆、存款5万元，家庭人均收入超过低保标准",
    )
    item.refresh_from_db()
    assert item.notice_number == f"洗民不符告〔2022〕{item.pk}号"
    text = pdf_text(render_decision_notice(item))
    assert "不符合条件告知书" in text and item.notice_number in text
    assert "存款5万元" in text and "退出" in text and case.household.head_name in text


def test_reasons_are_required(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    with pytest.raises(CaseError, match="理由") as exc:
        decide_case(item=item, actor=office_user, decision=D.REJECT, reasons="")
    assert exc.value.field == "reasons"


def test_only_office_decides(meeting, campaign, village_a, officer_a, leader):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = agenda_item(meeting, case)
    for user in (officer_a, leader):
        with pytest.raises(PermissionDenied):
            decide_case(item=item, actor=user, decision=D.REJECT, reasons="不符合条件")


def test_two_deciders_at_once_second_gets_conflict(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    other = UserFactory(username="tulei", role="office")
    build_agenda(meeting=meeting)
    first = ReviewDecision.objects.select_related("case").get(meeting=meeting, case=case)
    second = ReviewDecision.objects.select_related("case").get(meeting=meeting, case=case)
    version = case.version
    decide_case(
        item=first,
        actor=office_user,
        decision=D.REJECT,
        reasons="不符合条件一",
        expected_version=version,
    )
    with pytest.raises((ConflictError, CaseError)):
        decide_case(
            item=second,
            actor=other,
            decision=D.INCLUDE_MARGINAL,
            reasons="不同意见",
            per_capita_income_monthly=Decimal("700"),
            expected_version=version,
        )
    stored = ReviewDecision.objects.get(meeting=meeting, case=case)
    assert stored.decision == D.REJECT and stored.reasons == "不符合条件一"
    assert Case.objects.get(pk=case.pk).transitions.filter(to_state=State.REVIEWED).count() == 1


def test_stale_case_object_loses_with_conflict_message(meeting, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    build_agenda(meeting=meeting)
    item = ReviewDecision.objects.select_related("case").get(meeting=meeting, case=case)
    Case.objects.filter(pk=case.pk).update(version=5)  # someone else saved meanwhile
    with pytest.raises(ConflictError, match="请刷新页面"):
        decide_case(
            item=item,
            actor=office_user,
            decision=D.REJECT,
            reasons="不符合条件",
            expected_version=1,
        )
    assert ReviewDecision.objects.get(pk=item.pk).decision == ""


# ---- close relatives ----------------------------------------------------------------------------


def test_declared_relative_registers_case_and_recuses_declarant(
    meeting, campaign, village_a, officer_a, office_user
):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    relative = case.household.members.last()
    declare_relative(
        actor=office_user,
        declarant=office_user,
        name=relative.name,
        id_number=relative.id_number,
        relation="sibling",
    )
    case.refresh_from_db()
    assert case.separately_registered
    (registration,) = case.registrations.all()
    assert registration.member == relative and registration.declaration.declarant == office_user
    item = agenda_item(meeting, case)
    with pytest.raises(RecusalError, match="回避") as exc:
        decide_case(item=item, actor=office_user, decision=D.REJECT, reasons="不符合条件")
    assert relative.name in exc.value.message and "兄弟姐妹" in exc.value.message
    # Another office user may decide, but a positive decision needs a county home visit first.
    colleague = UserFactory(username="colleague", role="office")
    with pytest.raises(CaseError, match="县民政局参与"):
        decide_case(
            item=item,
            actor=colleague,
            decision=D.INCLUDE_MARGINAL,
            reasons="收入在边缘区间",
            per_capita_income_monthly=Decimal("700"),
        )
    HomeVisitFactory(case=case, county_participated=True)
    decide_case(
        item=item,
        actor=colleague,
        decision=D.INCLUDE_MARGINAL,
        reasons="收入在边缘区间",
        per_capita_income_monthly=Decimal("700"),
    )
    assert Case.objects.get(pk=case.pk).state == State.REVIEWED


def test_declaration_matches_cases_opened_later(campaign, village_a, officer_a):
    from tests.factories import make_id_number
    from verification.services import ensure_cases

    number = make_id_number()
    declare_relative(
        actor=officer_a, declarant=officer_a, name="亲戚", id_number=number, relation="parent"
    )
    case = make_case(village_a, campaign)
    member = case.household.members.first()
    member.id_number = number
    member.save()
    ensure_cases(campaign=campaign)
    assert Case.objects.get(pk=case.pk).separately_registered


def test_declaration_validates_id_and_scope(officer_a, officer_b, leader):
    with pytest.raises(CaseError, match="校验位"):
        declare_relative(
            actor=officer_a,
            declarant=officer_a,
            name="某",
            id_number="500240197001011234",
            relation="parent",
        )
    with pytest.raises(PermissionDenied):
        declare_relative(
            actor=officer_a, declarant=officer_b, name="某", id_number="x", relation="parent"
        )
    with pytest.raises(PermissionDenied):
        declare_relative(
            actor=leader, declarant=leader, name="某", id_number="x", relation="parent"
        )


def test_minutes_pdf_lists_attendees_decisions_and_reasons(campaign, village_a, office_user):
    meeting = MeetingFactory(campaign=campaign)
    case = make_case(village_a, campaign, state=State.REVIEWED)
    DecisionFactory(
        meeting=meeting,
        case=case,
        decision=D.INCLUDE_DIBAO,
        monthly_amount=Decimal("543"),
        counted_members=3,
        reasons="人均收入低于标准且入户属实",
        position=1,
    )
    text = pdf_text(render_minutes(meeting))
    assert "集体研究审核会议记录" in text and "冉瑜、王静、涂磊" in text and "记录人" in text
    assert case.household.head_name in text and "543" in text and "入户属实" in text
    for member in case.household.members.all():
        assert member.id_number not in text
