"""集体研究审核: meetings, their agenda, per-case decisions and the benefit amount.

洗府发〔2022〕156号 三(二)3: 结合信息比对结果和入户调查情况，提出是否符合低保及低保边缘户条件
意见；对不再符合条件的，应及时通知当事人并做好理由说明. Amount: 《审核确认办法》第二十三条
(差额: (standard − per-capita income) × members).
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Max

from households.models import AssistanceRecord
from screening.benefit import monthly_benefit
from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import Case, ReviewDecision, ReviewMeeting
from ..states import State
from . import screening_link
from .cases import DIBAO_KINDS, transition
from .common import CaseError, create_numbered, require_case_writer, require_office
from .guards import co_resident_members
from .relatives import recusal_members

D = ReviewDecision.Decision
CENT = Decimal("0.01")
MIN_REASONS = 4
MEETING_NUMBER = "洗民审〔{year}〕{n}号"


class RecusalError(CaseError):
    """The deciding user declared a member of this household as a close relative."""


@dataclass(frozen=True)
class IncomeBasis:
    per_capita_monthly: Decimal | None
    source: str  # ReviewDecision.IncomeSource value, '' when unknown
    counted_members: int
    # The screening's own annual figure: the amount is computed from it, not from the monthly
    # figure rounded to the cent, so the decision pays what the screening page shows.
    per_capita_annual: Decimal | None = None


def _open_dibao(case: Case) -> list[AssistanceRecord]:
    return list(
        AssistanceRecord.objects.filter(
            member__household_id=case.household_id, end_date__isnull=True, kind__in=DIBAO_KINDS
        )
    )


def pays_benefit(decision: str, case: Case) -> bool:
    """纳入低保 always pays; 维持 pays when the household is on dibao now; the rest do not."""
    if decision == D.INCLUDE_DIBAO:
        return True
    return decision == D.MAINTAIN and bool(_open_dibao(case))


def income_basis(case: Case) -> IncomeBasis:
    """Per-capita monthly income from the current screening result, and members counted."""
    records = _open_dibao(case)
    singles = {r.member_id for r in records if r.kind == AssistanceRecord.Kind.DIBAO_SINGLE}
    whole = any(r.kind == AssistanceRecord.Kind.DIBAO for r in records)
    counted = len(singles) if singles and not whole else len(co_resident_members(case))
    info = screening_link.current_results(case.campaign, [case.household_id]).get(case.household_id)
    if info is None or info.per_capita_income_annual is None:
        return IncomeBasis(None, "", counted)
    if info.member_count and not singles:
        counted = info.member_count
    annual = Decimal(info.per_capita_income_annual)
    monthly = (annual / 12).quantize(CENT, ROUND_HALF_UP)
    return IncomeBasis(monthly, ReviewDecision.IncomeSource.SCREENING, counted, annual)


def gap_amount(
    *, standard_monthly: Decimal, per_capita_annual: Decimal, members: int, rounding: str
) -> Decimal:
    """The gap method's monthly amount (screening.benefit, the one rule everywhere)."""
    return monthly_benefit(
        standard_annual=standard_monthly * 12,
        income_annual=per_capita_annual,
        members=members,
        rounding=rounding,
    )


@transaction.atomic
def create_meeting(
    *,
    campaign,
    actor,
    held_on: date,
    chair: str,
    attendees: list[str],
    recorder: str,
    location: str = "",
) -> ReviewMeeting:
    """Open a review meeting and put every case ready for review on its agenda."""
    require_office(actor)
    if len(attendees) < 3:
        raise CaseError("集体研究审核须有至少三名参会人员，请填写全部参会人员。", field="attendees")
    if not chair.strip() or not recorder.strip():
        raise CaseError("请填写主持人和记录人。", field="chair")
    meeting = create_numbered(
        ReviewMeeting,
        campaign=campaign,
        pattern=MEETING_NUMBER,
        held_on=held_on,
        chair=chair.strip(),
        attendees=attendees,
        recorder=recorder.strip(),
        location=location.strip(),
        created_by=actor,
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=meeting,
        after=snapshot(meeting),
        summary=f"新建{meeting}",
    )
    build_agenda(meeting=meeting)
    return meeting


def build_agenda(*, meeting: ReviewMeeting) -> int:
    """Add to the agenda every 待审核 case of the campaign not on it yet; return how many.

    A household whose screening says 未登记收入 (an incomplete survey) or 有公积金缴存未申报工资
    (a wage of unknown amount) is left off until its income is registered and it is re-screened."""
    on_agenda = meeting.items.values("case_id")
    ready = Case.objects.filter(campaign=meeting.campaign, state=State.PENDING_REVIEW).exclude(
        pk__in=on_agenda
    )
    incomplete = screening_link.flagged_household_ids(
        meeting.campaign, screening_link.OFF_AGENDA_FLAGS
    )
    if incomplete is not None:
        ready = ready.exclude(household_id__in=incomplete)
    ready = ready.order_by("household__village__code", "household__code").values_list(
        "pk", flat=True
    )
    start = meeting.items.aggregate(m=Max("position"))["m"] or 0
    items = [
        ReviewDecision(meeting=meeting, case_id=pk, position=start + i, is_current=False)
        for i, pk in enumerate(ready, start=1)
    ]
    ReviewDecision.objects.bulk_create(items)
    return len(items)


@transaction.atomic
def decide_case(
    *,
    item: ReviewDecision,
    actor,
    decision: str,
    reasons: str,
    per_capita_income_monthly: Decimal | None = None,
    counted_members: int | None = None,
    expected_version: int | None = None,
) -> ReviewDecision:
    """Record the meeting's decision on one case and move the case to 已审核."""
    case = item.case
    require_office(actor)
    require_case_writer(actor, case)
    relatives = recusal_members(actor=actor, case=case)
    if relatives:
        member, declaration = relatives[0]
        raise RecusalError(
            f"您已申报{member.name}为您的{declaration.get_relation_display()}（近亲属备案），"
            "依规应当回避，不能对该户作出审核决定，请由其他工作人员录入。"
        )
    if decision not in D.values:
        raise CaseError("请选择审核意见。", field="decision")
    reasons = (reasons or "").strip()
    if len(reasons) < MIN_REASONS:
        raise CaseError("请写明审核理由（结合信息比对和入户调查情况）。", field="reasons")
    if case.state != State.PENDING_REVIEW:
        raise CaseError(f"该户案件当前为“{case.state_label}”，不在待审核状态，不能作出决定。")
    positive = decision not in ReviewDecision.NEGATIVE
    if positive and case.separately_registered:
        if not case.home_visits.filter(county_participated=True).exists():
            raise CaseError(
                "该户成员为工作人员或村干部的近亲属（单独登记备案），须有县民政局参与的入户调查"
                "记录后才能作出纳入或维持决定（《审核确认办法》第十一条、第二十条）。"
            )
    before = snapshot(item)
    item.decision, item.reasons = decision, reasons
    item.standard_monthly = case.campaign.dibao_standard_monthly
    item.monthly_amount = None
    basis = income_basis(case)
    item.counted_members = counted_members or basis.counted_members
    annual = basis.per_capita_annual
    if per_capita_income_monthly is not None:
        item.per_capita_income_monthly = per_capita_income_monthly
        item.income_source = ReviewDecision.IncomeSource.MANUAL
        annual = per_capita_income_monthly * 12
    else:
        item.per_capita_income_monthly, item.income_source = basis.per_capita_monthly, basis.source
    if pays_benefit(decision, case):
        _set_amount(item, annual, case.campaign.benefit_rounding)
    item.decided_by, item.decided_at, item.is_current = actor, clock.now(), True
    item.save()
    if item.is_negative and not item.notice_number:
        item.notice_number = f"洗民不符告〔{case.campaign.year}〕{item.pk}号"
        item.save(update_fields=["notice_number"])
    case.decisions.exclude(pk=item.pk).filter(is_current=True).update(is_current=False)
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=item,
        before=before,
        after=snapshot(item),
        summary=f"集体研究审核：{case.household.head_name}户 {item.get_decision_display()}",
    )
    transition(
        case=case,
        to_state=State.REVIEWED,
        actor=actor,
        reason=f"{item.meeting}决定：{item.get_decision_display()}。{reasons}"[:500],
        expected_version=expected_version,
    )
    return item


def _set_amount(item: ReviewDecision, per_capita_annual: Decimal | None, rounding: str) -> None:
    if item.per_capita_income_monthly is None:
        raise CaseError(
            "研判结果中没有该户的人均收入，请填写人均月收入后再计算保障金。",
            field="per_capita_income_monthly",
        )
    if item.per_capita_income_monthly < 0:
        raise CaseError("人均月收入不能为负数。", field="per_capita_income_monthly")
    if not item.counted_members:
        raise CaseError("计保人数至少为1人。", field="counted_members")
    if item.per_capita_income_monthly >= item.standard_monthly:
        raise CaseError(
            f"人均月收入 {item.per_capita_income_monthly} 元不低于低保标准 "
            f"{item.standard_monthly} 元，按差额法没有保障金：请核对收入或改为其他审核意见。",
            field="per_capita_income_monthly",
        )
    item.monthly_amount = gap_amount(
        standard_monthly=item.standard_monthly,
        per_capita_annual=per_capita_annual,
        members=item.counted_members,
        rounding=rounding,
    )
