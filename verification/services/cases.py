"""Case life cycle: the one transition service, and opening cases for a campaign."""

from django.db import transaction
from django.db.models import F

from households import register
from households.models import AssistanceRecord, Household
from xixin_dibao import clock
from xixin_dibao.audit import record_bulk_create, record_change
from xixin_dibao.models import AuditEvent

from .. import states
from ..models import Case, CaseTransition
from ..states import State
from . import screening_link
from .common import CaseError, actor_kind, conflict, require_case_writer
from .guards import GUARDS
from .relatives import register_relatives

S = State
CURRENT_KINDS = register.CURRENT_KINDS
DIBAO_KINDS = register.DIBAO_KINDS


# ---- the one transition service -----------------------------------------------------------


@transaction.atomic
def transition(
    *, case: Case, to_state: str, actor, reason: str, expected_version: int | None = None
) -> CaseTransition:
    """Move `case` to `to_state` if the table, the role and the guards allow it (R-05).

    The write is a conditional UPDATE … WHERE state=<loaded> AND version=<expected>, so of two
    people acting on the same case at once exactly one wins; the other gets ConflictError.
    `actor=None` is the system (scheduled jobs) and skips the role check.
    """
    from_state = case.state
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("请填写变更原因。", field="reason")
    try:
        target = State(to_state)
    except ValueError as exc:
        raise CaseError(f"没有“{to_state}”这个状态。") from exc
    rule = states.rule_for(from_state, target)
    if rule is None:
        raise CaseError(states.refusal_message(from_state, target))
    if actor is not None:
        require_case_writer(actor, case)
        actor.require(
            actor_kind(actor) in rule.actors, f"“{rule.label}”只能由民政办办理，村专干不能操作。"
        )
    expected = case.version if expected_version is None else expected_version
    guard = GUARDS.get((State(from_state), target))
    message = guard(case) if guard else None
    if message:
        # Someone else may have just changed the case (and with it what the guard sees):
        # then the honest answer is a conflict, not the guard's reason.
        if not Case.objects.filter(pk=case.pk, state=from_state, version=expected).exists():
            raise conflict(case.pk)
        raise CaseError(message)
    now = clock.now()
    fields = {"state": target.value, "version": F("version") + 1, "state_changed_at": now}
    if target not in states.UNVERIFIED_STATES:
        fields["overdue"] = False
    updated = Case.all_objects.filter(pk=case.pk, state=from_state, version=expected).update(
        **fields
    )
    if not updated:
        raise conflict(case.pk)
    case.state, case.version, case.state_changed_at = target.value, expected + 1, now
    if "overdue" in fields:
        case.overdue = False
    record = CaseTransition.objects.create(
        case=case,
        from_state=from_state,
        to_state=target.value,
        actor=actor,
        actor_name=str(actor) if actor else "系统",
        at=now,
        reason=reason[:500],
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.TRANSITION,
        obj=case,
        before={"state": from_state, "version": expected},
        after={"state": target.value, "version": expected + 1},
        summary=(
            f"{case.household.head_name}户：{states.label(from_state)} → "
            f"{states.label(target)}（{reason}）"
        ),
    )
    if from_state in (S.REVIEWED, S.IN_NOTICE) and target in (
        S.PENDING_REVIEW,
        S.PENDING_VERIFICATION,
    ):
        # A re-opened case needs a new decision; the old one stays on the minutes, not in force.
        case.decisions.filter(is_current=True).update(is_current=False)
    return record


# ---- opening cases for a campaign ---------------------------------------------------------


def _scope_ids(campaign, households=None) -> dict[int, str]:
    """household id → source for every in-scope household (current > lookback > candidate)."""
    households = (Household.objects if households is None else households).filter(
        village__township_id=campaign.township_id
    )
    sources: dict[int, str] = {}
    candidates = screening_link.candidate_household_ids(campaign)
    if candidates is not None:
        for hid in households.filter(pk__in=candidates).values_list("pk", flat=True):
            sources[hid] = Case.Source.NEW_CANDIDATE
    for hid in register.lookback_household_ids(campaign, clock.today(), households):
        sources[hid] = Case.Source.LOOKBACK
    current = AssistanceRecord.objects.filter(
        end_date__isnull=True, kind__in=CURRENT_KINDS, member__household__in=households
    ).values_list("member__household_id", flat=True)
    for hid in current:
        sources[hid] = Case.Source.CURRENT_RECIPIENT
    return sources


def scope_source(*, campaign, household_id: int) -> str | None:
    """Why one household is in the campaign's verification scope (a Case.Source), or None.

    The rule ensure_cases opens cases by, for one household: current dibao or marginal
    assistance, a lookback exit or refusal, or a current screening outcome making it a candidate.
    """
    households = Household.objects.filter(pk=household_id)
    return _scope_ids(campaign, households).get(household_id)


def _initial_state(source: str, surveyed: bool) -> State:
    """Current recipients and 已摸排 households start at 待核查; the rest must be surveyed."""
    if surveyed or source == Case.Source.CURRENT_RECIPIENT:
        return S.PENDING_VERIFICATION
    return S.PENDING_SCREENING


@transaction.atomic
def ensure_cases(*, campaign, actor=None) -> int:
    """Open a case for every in-scope household that has none; return how many were opened.

    Idempotent and bulk: a constant number of queries whatever the number of households.
    Also moves 待摸排 cases whose household has since been marked 已摸排 to 待核查, and
    registers cases of declared close relatives.
    """
    sources = _scope_ids(campaign)
    existing = set(
        Case.all_objects.filter(campaign=campaign).values_list("household_id", flat=True)
    )
    screened = set(
        Household.objects.surveyed()
        .filter(village__township_id=campaign.township_id)
        .values_list("pk", flat=True)
    )
    now = clock.now()
    new = [
        Case(
            campaign=campaign,
            household_id=hid,
            source=source,
            state=_initial_state(source, hid in screened).value,
            state_changed_at=now,
        )
        for hid, source in sorted(sources.items())
        if hid not in existing
    ]
    Case.objects.bulk_create(new, batch_size=500)
    labels = dict(Case.Source.choices)
    CaseTransition.objects.bulk_create(
        [
            CaseTransition(
                case=c,
                from_state="",
                to_state=c.state,
                actor=actor,
                actor_name=str(actor) if actor else "系统",
                at=now,
                reason=f"建立案件（{labels[c.source]}）",
            )
            for c in new
        ],
        batch_size=500,
    )
    record_bulk_create(actor=actor, objs=new, summary="建立核查审核案件")
    advance_screened(campaign=campaign, screened_ids=screened)
    register_relatives()
    return len(new)


def advance_screened(*, campaign, screened_ids: set[int]) -> int:
    """Move 待摸排 cases whose household is now 已摸排 (survey marked complete) to 待核查."""
    if not screened_ids:
        return 0
    rows = list(
        Case.objects.filter(
            campaign=campaign, state=S.PENDING_SCREENING, household_id__in=screened_ids
        ).values_list("pk", "household_id")
    )
    if not rows:
        return 0
    now = clock.now()
    pks = [pk for pk, _ in rows]
    Case.objects.filter(pk__in=pks, state=S.PENDING_SCREENING).update(
        state=S.PENDING_VERIFICATION, version=F("version") + 1, state_changed_at=now, overdue=False
    )
    reason = "摸排已完成，转入核查"
    CaseTransition.objects.bulk_create(
        [
            CaseTransition(
                case_id=pk,
                from_state=S.PENDING_SCREENING,
                to_state=S.PENDING_VERIFICATION,
                actor_name="系统",
                at=now,
                reason=reason,
            )
            for pk in pks
        ]
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_name="系统",
                kind=AuditEvent.Kind.TRANSITION,
                model="verification.Case",
                object_id=str(pk),
                household_id=hid,
                summary=f"待摸排 → 待核查（{reason}）",
                before={"state": S.PENDING_SCREENING.value},
                after={"state": S.PENDING_VERIFICATION.value},
            )
            for pk, hid in rows
        ]
    )
    return len(rows)


# ---- withdrawing a household (households.services.WITHDRAW_GUARDS) -----------------------

BEFORE_REVIEW = (S.PENDING_SCREENING, S.PENDING_VERIFICATION)
WITHDRAW_AFTER_REVIEW = "该户已提交集体研究审核或进入后续程序（{state}），不能撤销登记。"


def refuse_withdrawal_after_review(household) -> str:
    """A household may be withdrawn only while its cases are before review."""
    late = (
        Case.all_objects.filter(household=household)
        .exclude(state__in=[s.value for s in BEFORE_REVIEW])
        .first()
    )
    return WITHDRAW_AFTER_REVIEW.format(state=late.state_label) if late else ""
