"""视为自动退出: confirmed only after the notice's deadline, with a reason; reversible while open.

洗府发〔2022〕156号 三(二)2: 对无特殊情况拒不配合开展经济核查的，视为自动退出. The notice gives
the family until the verification cutoff to cooperate, so the exit cannot come before that day
has passed; a wrong exit is undone with a written, audited reason while the campaign is active.
"""

from django.db import transaction

from xixin_dibao import clock

from ..models import Case, Refusal
from ..states import State
from .common import CaseError, require_case_writer, require_office
from .guards import exit_blocked, reversal_blocked
from .refusals import record_and_move

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
    return record_and_move(
        case=case,
        actor=actor,
        fields={"exit_reason": reason, "exit_by": actor, "exit_at": clock.now()},
        summary="确认视为自动退出",
        history="确认视为自动退出",
        to_state=State.AUTO_EXIT,
        reason=reason,
        expected_version=expected_version,
    )


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
    return record_and_move(
        case=case,
        actor=actor,
        fields={"reversal_reason": reason, "reversed_by": actor, "reversed_at": clock.now()},
        summary="撤销自动退出",
        history="撤销自动退出",
        to_state=State.PENDING_VERIFICATION,
        reason=reason,
        expected_version=expected_version,
    )
