"""县级审核确认: the county confirms the township's decisions, and the register follows.

《最低生活保障审核确认办法》: the township reviews (集体研究审核) and posts the 公示; the county
civil-affairs bureau confirms. The confirmation is recorded after the 公示 period (the case has
been 报县) with its date and 文号; it can be recorded for several households at once. Confirming
opens, re-shares or ends assistance records (households.caseload); a wrong confirmation is
reversed with a written reason, which undoes exactly what it wrote.
"""

from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef

from households import caseload, register
from households.models import AssistanceRecord
from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import Case, CountyConfirmation, ReviewDecision
from ..states import State
from .common import CaseError, require_office
from .guards import co_resident_members, current_decision

D = ReviewDecision.Decision
AUTO_EXIT = "auto_exit"
CONFIRMABLE_STATES = (State.REPORTED, State.AUTO_EXIT, State.ARCHIVED)
OUTCOME_LABELS = {**dict(D.choices), AUTO_EXIT: "视为自动退出"}
MIN_REASON = 4


def confirmable_cases(campaign):
    """Cases of the campaign that have been 报县 (or auto-exited) and have no confirmation yet."""
    return (
        Case.objects.filter(campaign=campaign, state__in=CONFIRMABLE_STATES)
        .exclude(
            Exists(CountyConfirmation.objects.filter(case=OuterRef("pk"), reversed_at__isnull=True))
        )
        .select_related("household", "household__village")
        .order_by("household__village__code", "household__code")
    )


def effective_date(campaign, confirmed_on: date) -> date:
    """The day assistance starts (or stops) after a confirmation: a campaign setting."""
    if campaign.register_start == "confirmation":
        return confirmed_on
    year, month = (
        (confirmed_on.year + 1, 1)
        if confirmed_on.month == 12
        else (
            confirmed_on.year,
            confirmed_on.month + 1,
        )
    )
    return date(year, month, 1)


@transaction.atomic
def confirm_cases(
    *,
    actor,
    cases: list[Case],
    confirmed_on: date,
    document_number: str,
    exit_reason: str = AssistanceRecord.ExitReason.INCOME_ROSE,
) -> list[CountyConfirmation]:
    """Record the county's confirmation of each case's decision and write the register."""
    require_office(actor)
    document_number = (document_number or "").strip()
    if not document_number:
        raise CaseError("请填写县民政局确认的文号。", field="document_number")
    if confirmed_on is None or confirmed_on > clock.today():
        raise CaseError("确认日期不能晚于今天。", field="confirmed_on")
    if not cases:
        raise CaseError("请至少选择一户。", field="cases")
    done = []
    for case in Case.objects.select_for_update().filter(pk__in=[c.pk for c in cases]):
        done.append(_confirm_one(actor, case, confirmed_on, document_number, exit_reason))
    return done


def _confirm_one(actor, case: Case, confirmed_on: date, number: str, exit_reason: str):
    name = f"{case.household.head_name}户"
    if case.state not in CONFIRMABLE_STATES:
        raise CaseError(f"{name}当前为“{case.state_label}”，公示期满报县后才能登记县级确认。")
    if case.confirmations.filter(reversed_at__isnull=True).exists():
        raise CaseError(f"{name}已登记县级确认，不能重复登记；如有错误请先撤销原确认。")
    decision = None if case.state == State.AUTO_EXIT else current_decision(case)
    if case.state != State.AUTO_EXIT and decision is None:
        raise CaseError(f"{name}没有集体研究审核决定，不能登记县级确认。")
    if decision is not None and confirmed_on < decision.meeting.held_on:
        raise CaseError(f"{name}的确认日期早于集体研究审核会议日期，请核对。", field="confirmed_on")
    outcome = AUTO_EXIT if decision is None else decision.decision
    start = effective_date(case.campaign, confirmed_on)
    summary = f"县级确认（{number}）{OUTCOME_LABELS[outcome]}"
    effects = _write_register(actor, case, decision, outcome, start, exit_reason, summary)
    confirmation = CountyConfirmation.objects.create(
        case=case,
        decision=decision,
        outcome=outcome,
        confirmed_on=confirmed_on,
        document_number=number,
        start_date=start,
        recorded_by=actor,
        recorded_at=clock.now(),
        effects=effects,
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=confirmation,
        after=snapshot(confirmation),
        summary=f"登记{summary}：{name}",
    )
    return confirmation


def _write_register(actor, case, decision, outcome, start, exit_reason, summary) -> dict:
    household = case.household
    if outcome == D.INCLUDE_DIBAO:
        return caseload.open_spells(
            actor=actor,
            members=co_resident_members(case),
            kind=AssistanceRecord.Kind.DIBAO,
            start_date=start,
            household_amount=decision.monthly_amount,
            people_covered=decision.counted_members,
            campaign=case.campaign,
            summary=summary,
        )
    if outcome == D.INCLUDE_MARGINAL:
        single = set(
            AssistanceRecord.objects.filter(
                member__household=household,
                end_date__isnull=True,
                kind=AssistanceRecord.Kind.DIBAO_SINGLE,
            ).values_list("member_id", flat=True)
        )
        members = [m for m in co_resident_members(case) if m.pk not in single]
        return caseload.open_spells(
            actor=actor,
            members=members,
            kind=AssistanceRecord.Kind.MARGINAL,
            start_date=start,
            household_amount=None,
            people_covered=len(members),
            campaign=case.campaign,
            summary=summary,
        )
    if outcome in (D.EXIT, AUTO_EXIT):
        reason = AssistanceRecord.ExitReason.REFUSED_CHECK if outcome == AUTO_EXIT else exit_reason
        return caseload.end_spells(
            actor=actor,
            household=household,
            kinds=register.CURRENT_KINDS,
            end_date=start,
            exit_reason=reason,
            exit_note=summary[:200],
            summary=summary,
        )
    if outcome == D.MAINTAIN and decision.monthly_amount is not None:
        # 维持 on 低保 with the amount the gap method gives now: the shares follow it.
        return caseload.share_out(
            actor=actor,
            household=household,
            kinds=register.DIBAO_KINDS,
            household_amount=decision.monthly_amount,
            people_covered=decision.counted_members,
            summary=summary,
        )
    return {"opened": [], "changed": []}  # 不予纳入, 维持 without an amount: no change


@transaction.atomic
def reverse_confirmation(*, actor, confirmation: CountyConfirmation, reason: str) -> None:
    """Undo a wrongly recorded confirmation and what it wrote; the row stays, marked reversed."""
    require_office(actor)
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CaseError("请写明撤销理由（不少于4个字）。", field="reason")
    confirmation = CountyConfirmation.objects.select_for_update().get(pk=confirmation.pk)
    if confirmation.reversed_at is not None:
        raise CaseError("该确认已撤销。")
    before = snapshot(confirmation)
    summary = f"撤销县级确认（{confirmation.document_number}）"
    caseload.undo(actor=actor, effects=confirmation.effects, summary=summary)
    confirmation.reversed_at = clock.now()
    confirmation.reversed_by = actor
    confirmation.reversal_reason = reason[:300]
    confirmation.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=confirmation,
        before=before,
        after=snapshot(confirmation),
        summary=f"{summary}：{confirmation.case.household.head_name}户，理由：{reason}",
    )
