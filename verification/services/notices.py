"""张榜公示 and objections (《审核确认办法》第十九条、第二十四条).

The notice carries name, household size and amount only: no ID number, address, illness,
disability or income detail (S-06). Its period is the campaign's notice_days (7 by default).
"""

from datetime import date

from django.db import transaction

from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import Case, Objection, PublicNotice, PublicNoticeEntry, ReviewDecision
from ..states import State
from .cases import transition
from .common import CaseError, cn_date, create_numbered, require_case_writer, require_office
from .guards import co_resident_members, current_decision

NOTICE_NUMBER = "洗民公〔{year}〕{n}号"


def notice_candidates(*, campaign, village) -> list[tuple[Case, ReviewDecision]]:
    """已审核 cases of the village whose current decision is to include or maintain."""
    cases = Case.objects.filter(
        campaign=campaign, household__village=village, state=State.REVIEWED
    ).select_related("household")
    out = []
    for case in cases:
        decision = current_decision(case)
        if decision is not None and not decision.is_negative:
            out.append((case, decision))
    return out


@transaction.atomic
def create_public_notice(*, campaign, village, start_date: date, actor) -> PublicNotice:
    """Post a notice for the village's included/maintained households; cases go 公示中."""
    require_office(actor)
    if start_date < clock.today():
        raise CaseError("公示开始日期不能早于今天。", field="start_date")
    candidates = notice_candidates(campaign=campaign, village=village)
    if not candidates:
        raise CaseError(f"{village.name}没有已审核、拟纳入或维持的家庭，无需公示。")
    notice = create_numbered(
        PublicNotice,
        campaign=campaign,
        pattern=NOTICE_NUMBER,
        village=village,
        start_date=start_date,
        days=campaign.notice_days,
        created_by=actor,
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=notice,
        after=snapshot(notice),
        summary=f"张榜公示：{notice}",
    )
    period = f"{cn_date(notice.start_date)}至{cn_date(notice.end_date)}"
    for case, decision in candidates:
        require_case_writer(actor, case)
        PublicNoticeEntry.objects.create(
            notice=notice,
            case=case,
            decision=decision,
            name=case.household.head_name,
            household_size=decision.counted_members or len(co_resident_members(case)),
            monthly_amount=decision.monthly_amount,
        )
        transition(
            case=case,
            to_state=State.IN_NOTICE,
            actor=actor,
            reason=f"张榜公示{notice.number}，公示期{period}",
        )
    return notice


def notice_status(notice: PublicNotice, today: date | None = None) -> str:
    today = today or clock.today()
    if today < notice.start_date:
        return "未开始"
    if today <= notice.end_date:
        return f"公示中（还剩{(notice.end_date - today).days + 1}天）"
    return "公示期满"


@transaction.atomic
def record_objection(
    *,
    entry: PublicNoticeEntry,
    actor,
    received_on: date,
    content: str,
    action: str,
    objector: str = "",
    expected_version: int | None = None,
) -> Objection:
    """Record an objection; the case leaves 公示 for re-investigation or re-review."""
    require_office(actor)
    case = entry.case
    require_case_writer(actor, case)
    if entry.withdrawn or case.state != State.IN_NOTICE:
        raise CaseError("该户已不在公示中，不能再登记异议。")
    if received_on > clock.today():
        raise CaseError("收到日期不能晚于今天。", field="received_on")
    if received_on < entry.notice.start_date:
        raise CaseError("收到日期不能早于公示开始日期。", field="received_on")
    if not (content or "").strip():
        raise CaseError("请填写异议内容。", field="content")
    if action not in Objection.Action.values:
        raise CaseError("请选择处理方式。", field="action")
    objection = Objection.objects.create(
        entry=entry,
        received_on=received_on,
        objector=objector.strip(),
        content=content.strip(),
        action=action,
        recorded_by=actor,
    )
    entry.withdrawn = True
    entry.save(update_fields=["withdrawn"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=objection,
        after=snapshot(objection),
        summary=f"公示异议：{entry.name}户",
    )
    target = (
        State.PENDING_VERIFICATION
        if action == Objection.Action.REINVESTIGATE
        else State.PENDING_REVIEW
    )
    transition(
        case=case,
        to_state=target,
        actor=actor,
        reason=f"公示期间收到异议，{objection.get_action_display()}：{objection.content}"[:500],
        expected_version=expected_version,
    )
    return objection


@transaction.atomic
def report_notice(*, notice: PublicNotice, actor) -> int:
    """After the period, report every household still on the notice to the county."""
    require_office(actor)
    if clock.today() <= notice.end_date:
        raise CaseError(f"公示期至{cn_date(notice.end_date)}，期满后才能报县。")
    entries = notice.entries.filter(withdrawn=False, case__state=State.IN_NOTICE).select_related(
        "case__household", "case__campaign"
    )
    count = 0
    for entry in entries:
        transition(
            case=entry.case,
            to_state=State.REPORTED,
            actor=actor,
            reason=f"公示{notice.number}期满无异议，报县审批",
        )
        count += 1
    return count
