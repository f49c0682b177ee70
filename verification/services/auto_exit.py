"""视为自动退出: confirmed only after the notice's deadline, with a reason; reversible while open.

洗府发〔2022〕156号 三(二)2: 对无特殊情况拒不配合开展经济核查的，视为自动退出. The notice gives
the family until the verification cutoff to cooperate, so the exit cannot come before that day
has passed; a wrong exit is undone with a written, audited reason while the campaign is active.
"""

from django.db import transaction

from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from ..models import Case, Refusal
from ..states import State
from .cases import transition
from .common import CaseError, require_case_writer, require_office
from .guards import exit_blocked, reversal_blocked

MIN_REASON = 10


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CaseError(f"请写明{what}的理由（至少{MIN_REASON}个字）。", field="reason")
    return reason


@transaction.atomic
def confirm_auto_exit(
    *, case: Case, actor, reason: str, confirmed: bool, expected_version: int | None = None
) -> Refusal:
    """Record the office's confirmed 视为自动退出 with its reason, after the notice's deadline."""
    require_office(actor)
    require_case_writer(actor, case)
    if case.state != State.RECEIPT_RETURNED:
        raise CaseError(
            f"只有“回执已交回”的案件可以视为自动退出，该案件当前为“{case.state_label}”。"
        )
    message = exit_blocked(case)
    if message:
        raise CaseError(message)
    reason = _reason(reason, "视为自动退出")
    if not confirmed:
        raise CaseError(
            "请勾选确认：该户无特殊情况，告知期限届满仍拒不配合核查。", field="confirmed"
        )
    refusal = case.refusal
    before = snapshot(refusal)
    refusal.exit_reason, refusal.exit_by, refusal.exit_at = reason, actor, clock.now()
    refusal.save(update_fields=["exit_reason", "exit_by", "exit_at"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"确认视为自动退出：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=State.AUTO_EXIT,
        actor=actor,
        reason=f"确认视为自动退出：{reason}"[:500],
        expected_version=expected_version,
    )
    return refusal


@transaction.atomic
def reverse_auto_exit(
    *, case: Case, actor, reason: str, expected_version: int | None = None
) -> Refusal:
    """Undo a 视为自动退出 with a written reason while the campaign is open; verification resumes."""
    require_office(actor)
    require_case_writer(actor, case)
    if case.state != State.AUTO_EXIT:
        raise CaseError(f"只有“视为自动退出”的案件可以撤销，该案件当前为“{case.state_label}”。")
    message = reversal_blocked(case)
    if message:
        raise CaseError(message)
    reason = _reason(reason, "撤销自动退出")
    refusal = case.refusal
    before = snapshot(refusal)
    refusal.reversal_reason, refusal.reversed_by = reason, actor
    refusal.reversed_at = clock.now()
    refusal.save(update_fields=["reversal_reason", "reversed_by", "reversed_at"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"撤销自动退出：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=State.PENDING_VERIFICATION,
        actor=actor,
        reason=f"撤销自动退出：{reason}"[:500],
        expected_version=expected_version,
    )
    return refusal
