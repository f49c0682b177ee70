"""What each step of a case needs besides the transition table, and which steps to offer.

The transition service checks GUARDS before every change; the case page asks case_actions, which
calls the same guard functions, so the page never offers a step the service would refuse.
"""

from dataclasses import dataclass
from datetime import date

from households.models import Campaign, Member
from xixin_dibao import clock

from .. import states
from ..models import Case, DataMatchResult, ReviewDecision
from ..states import State
from .common import actor_kind, cn_date

S = State


# ---- what a case still lacks ------------------------------------------------------------


def co_resident_members(case: Case) -> list[Member]:
    return [m for m in case.household.members.all() if m.co_resident]


def members_without_match(case: Case) -> list[Member]:
    """Co-resident members with no data-match result on this case (rule 11)."""
    matched = set(DataMatchResult.objects.filter(case=case).values_list("member_id", flat=True))
    return [m for m in co_resident_members(case) if m.pk not in matched]


def verification_gaps(case: Case) -> list[str]:
    """What stops the case going to review: missing data-match results, no home visit."""
    gaps = []
    missing = members_without_match(case)
    if missing:
        names = "、".join(m.name for m in missing)
        gaps.append(f"以下共同生活家庭成员还没有信息比对结果：{names}。")
    if not case.home_visits.exists():
        gaps.append("还没有入户调查记录（至少两名调查人员、签字调查表扫描件）。")
    return gaps


def current_decision(case: Case) -> ReviewDecision | None:
    return (
        case.decisions.filter(is_current=True)
        .exclude(decision="")
        .select_related("meeting")
        .order_by("-decided_at")
        .first()
    )


def active_notice_entry(case: Case):
    return (
        case.notice_entries.filter(withdrawn=False)
        .select_related("notice")
        .order_by("-notice__start_date", "-id")
        .first()
    )


# ---- guards: conditions each edge needs besides the table --------------------------------


def _ready_for_review(case):
    gaps = verification_gaps(case)
    return "还不能提交审核：" + "".join(gaps) if gaps else None


def _has_decision(case):
    if current_decision(case) is None:
        return "请在集体研究审核会议上为该户作出决定。"
    return None


def _positive_decision(case):
    decision = current_decision(case)
    if decision is None or decision.is_negative:
        return "只有审核意见为纳入或维持的家庭才张榜公示。"
    return None


def _positive_and_posted(case):
    if message := _positive_decision(case):
        return message
    if active_notice_entry(case) is None:
        return "请通过“张榜公示”页面为该村生成公示。"
    return None


def _negative_decision(case):
    decision = current_decision(case)
    if decision is None or not decision.is_negative:
        return "拟纳入或维持的家庭须先张榜公示，期满无异议后才能报县。"
    return None


def _notice_period_over(case):
    entry = active_notice_entry(case)
    if entry is None:
        return "该户没有有效的公示记录。"
    if clock.today() <= entry.notice.end_date:
        return f"公示期至{cn_date(entry.notice.end_date)}，期满后才能报县。"
    return None


def _objection_recorded(case):
    entry = case.notice_entries.filter(withdrawn=True).order_by("-id").first()
    if entry is None or not entry.objections.exists():
        return "请通过“登记异议”页面登记公示期间收到的异议。"
    return None


def _refusal(case):
    return getattr(case, "refusal", None)


def _refusal_recorded(case):
    return None if _refusal(case) else "请先登记拒不配合核查的情况。"


def _delivered(case):
    refusal = _refusal(case)
    if refusal is None or not refusal.delivered_on:
        return "请先登记书面告知书的送达情况（日期、送达人、方式）。"
    return None


def _receipt_returned(case):
    refusal = _refusal(case)
    if refusal is None or not (refusal.receipt_scan_path and refusal.receipt_received_on):
        return "回执尚未交回民政办：须上传回执扫描件并登记交到办公室主任的日期，才能视为自动退出。"
    return None


def _exception_recorded(case):
    refusal = _refusal(case)
    if refusal is None or not refusal.exception_reason:
        return "请由民政办办公室主任登记特殊情况及理由。"
    return None


def reply_deadline(refusal) -> date:
    """The day the notice told the family to cooperate by (its own record, else the cutoff)."""
    return refusal.reply_by or refusal.case.campaign.verification_cutoff


def exit_blocked(case: Case) -> str | None:
    """Why 视为自动退出 cannot be confirmed yet (receipt missing, deadline not passed), or None."""
    refusal = getattr(case, "refusal", None)
    if refusal is None or not (refusal.receipt_scan_path and refusal.receipt_received_on):
        return "回执尚未交回民政办：须上传回执扫描件并登记交到办公室主任的日期，才能视为自动退出。"
    deadline = reply_deadline(refusal)
    if clock.today() <= deadline:
        return (
            f"告知书给该户的配合期限至{cn_date(deadline)}，期限届满前不能视为自动退出"
            f"（{cn_date(deadline)}之后才能确认）。"
        )
    return None


def exit_confirmed(case: Case) -> str | None:
    """The transition guard: the page's confirmation with its reason is on file too."""
    message = exit_blocked(case)
    if message:
        return message
    if not case.refusal.exit_reason:
        return "请通过“确认视为自动退出”页面写明理由并确认。"
    return None


def reversal_blocked(case: Case) -> str | None:
    """Why an auto-exit can no longer be reversed (the campaign is closed), or None."""
    if not Campaign.objects.is_current(case.campaign):
        return f"“{case.campaign.name}”已结束，不能再撤销自动退出。"
    if case.confirmations.filter(reversed_at__isnull=True).exists():
        return (
            "县民政局已确认该户自动退出，请先在“县级确认”中撤销该确认（写明理由），再撤销自动退出。"
        )
    return None


def reversal_recorded(case: Case) -> str | None:
    message = reversal_blocked(case)
    if message:
        return message
    refusal = getattr(case, "refusal", None)
    if refusal is None or not refusal.reversal_reason:
        return "请通过“撤销自动退出”页面写明理由。"


def _survey_complete(case):
    if not case.household.survey_complete:
        return "该户尚未标记摸排完成：请在家庭页面补齐缺少的信息并“标记摸排完成”后再转入核查。"
    return None


GUARDS = {
    (S.PENDING_SCREENING, S.PENDING_VERIFICATION): _survey_complete,
    (S.PENDING_VERIFICATION, S.PENDING_REVIEW): _ready_for_review,
    (S.PENDING_VERIFICATION, S.REFUSED): _refusal_recorded,
    (S.REFUSED, S.NOTICE_DELIVERED): _delivered,
    (S.NOTICE_DELIVERED, S.RECEIPT_RETURNED): _receipt_returned,
    (S.RECEIPT_RETURNED, S.AUTO_EXIT): exit_confirmed,
    (S.AUTO_EXIT, S.PENDING_VERIFICATION): reversal_recorded,
    (S.REFUSED, S.PENDING_VERIFICATION): _exception_recorded,
    (S.NOTICE_DELIVERED, S.PENDING_VERIFICATION): _exception_recorded,
    (S.RECEIPT_RETURNED, S.PENDING_VERIFICATION): _exception_recorded,
    (S.PENDING_REVIEW, S.REVIEWED): _has_decision,
    (S.REVIEWED, S.IN_NOTICE): _positive_and_posted,
    (S.REVIEWED, S.REPORTED): _negative_decision,
    (S.IN_NOTICE, S.REPORTED): _notice_period_over,
    (S.IN_NOTICE, S.PENDING_VERIFICATION): _objection_recorded,
    (S.IN_NOTICE, S.PENDING_REVIEW): _objection_recorded,
}


# A step carried by its own page (rule.page) is offered while its guard still fails: that page
# is where the missing record is made (the refusal, the decision, the 公示, the objection). Only
# a condition the page cannot change keeps its link off the case page.
PAGE_GUARDS = {
    (S.REVIEWED, S.IN_NOTICE): _positive_decision,
    (S.RECEIPT_RETURNED, S.AUTO_EXIT): exit_blocked,
    (S.AUTO_EXIT, S.PENDING_VERIFICATION): reversal_blocked,
}


def allowed_targets(case: Case, user) -> list[tuple[State, states.Rule]]:
    """The table's next states that this user's role may choose (guards not checked)."""
    kind = actor_kind(user)
    if kind is None:
        return []
    if kind == states.OFFICER and case.household.village_id != user.village_id:
        return []
    return [(to, rule) for to, rule in states.targets(case.state) if kind in rule.actors]


@dataclass(frozen=True)
class Action:
    to: State
    rule: states.Rule
    blocked: str | None  # the guard's message while the step is not possible yet


def case_actions(*, case: Case, user) -> list[Action]:
    """The steps this user's role may take on the case, each with why it is blocked (or None).

    Uses the transition service's own guard functions, so what the page offers and what the
    service accepts cannot disagree.
    """
    actions = []
    for to, rule in allowed_targets(case, user):
        edge = (State(case.state), to)
        guard = PAGE_GUARDS.get(edge) if rule.page else GUARDS.get(edge)
        actions.append(Action(to, rule, guard(case) if guard else None))
    return actions
