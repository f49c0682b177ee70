"""The verification case life cycle: one explicit transition table (pure Python, no Django).

洗府发〔2022〕156号 三(二) 工作开展程序: 对象摸排 → 信息比对及入户调查 → 集体研究审核; refusing the
economic check ⇒ written notice delivered, receipt returned to the office director ⇒ 视为自动退出.
《最低生活保障审核确认办法》第十九条: 公示 7 days, then the file goes to the county.
"""

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    PENDING_SCREENING = "pending_screening"
    PENDING_VERIFICATION = "pending_verification"
    PENDING_REVIEW = "pending_review"
    REVIEWED = "reviewed"
    IN_NOTICE = "in_notice"
    REPORTED = "reported"
    ARCHIVED = "archived"
    REFUSED = "refused"
    NOTICE_DELIVERED = "notice_delivered"
    RECEIPT_RETURNED = "receipt_returned"
    AUTO_EXIT = "auto_exit"


STATE_LABELS: dict[State, str] = {
    State.PENDING_SCREENING: "待摸排",
    State.PENDING_VERIFICATION: "待核查",
    State.PENDING_REVIEW: "待审核",
    State.REVIEWED: "已审核",
    State.IN_NOTICE: "公示中",
    State.REPORTED: "已报县",
    State.ARCHIVED: "已归档",
    State.REFUSED: "拒不配合",
    State.NOTICE_DELIVERED: "已送达告知书",
    State.RECEIPT_RETURNED: "回执已交回",
    State.AUTO_EXIT: "视为自动退出",
}

STATE_CHOICES = [(s.value, STATE_LABELS[s]) for s in State]

# Who may make a transition. Village officers (综合服务专干) do data-entry steps for their own
# village; review decisions, exits, 公示, reporting and archiving are the office's.
OFFICER = "village_officer"
OFFICE = "office"
BOTH = frozenset({OFFICER, OFFICE})
OFFICE_ONLY = frozenset({OFFICE})


@dataclass(frozen=True)
class Rule:
    label: str  # the button / history wording
    actors: frozenset[str]
    # The page that carries the step when it needs more than a reason (a URL name), else None.
    page: str | None = None


S = State
TRANSITIONS: dict[tuple[State, State], Rule] = {
    (S.PENDING_SCREENING, S.PENDING_VERIFICATION): Rule("摸排完成，转入核查", BOTH),
    (S.PENDING_VERIFICATION, S.PENDING_REVIEW): Rule("核查完成，提交审核", BOTH),
    (S.PENDING_REVIEW, S.PENDING_VERIFICATION): Rule("退回补充核查", BOTH),
    (S.PENDING_VERIFICATION, S.REFUSED): Rule("登记拒不配合核查", BOTH, "verification:refusal"),
    (S.REFUSED, S.NOTICE_DELIVERED): Rule("登记告知书送达", BOTH, "verification:refusal_delivery"),
    (S.NOTICE_DELIVERED, S.RECEIPT_RETURNED): Rule(
        "登记回执交回民政办", OFFICE_ONLY, "verification:refusal_receipt"
    ),
    (S.RECEIPT_RETURNED, S.AUTO_EXIT): Rule(
        "确认视为自动退出", OFFICE_ONLY, "verification:auto_exit_confirm"
    ),
    (S.REFUSED, S.PENDING_VERIFICATION): Rule(
        "特殊情况，恢复核查", OFFICE_ONLY, "verification:refusal_exception"
    ),
    (S.NOTICE_DELIVERED, S.PENDING_VERIFICATION): Rule(
        "特殊情况，恢复核查", OFFICE_ONLY, "verification:refusal_exception"
    ),
    (S.RECEIPT_RETURNED, S.PENDING_VERIFICATION): Rule(
        "特殊情况，恢复核查", OFFICE_ONLY, "verification:refusal_exception"
    ),
    (S.PENDING_REVIEW, S.REVIEWED): Rule(
        "集体研究审核作出决定", OFFICE_ONLY, "verification:meeting_list"
    ),
    (S.REVIEWED, S.PENDING_REVIEW): Rule("撤回审核决定，重新审核", OFFICE_ONLY),
    (S.REVIEWED, S.IN_NOTICE): Rule("张榜公示", OFFICE_ONLY, "verification:notice_create"),
    (S.REVIEWED, S.REPORTED): Rule("不符合条件，告知后报县", OFFICE_ONLY),
    (S.IN_NOTICE, S.REPORTED): Rule("公示期满无异议，报县", OFFICE_ONLY),
    (S.IN_NOTICE, S.PENDING_VERIFICATION): Rule(
        "公示有异议，重新调查", OFFICE_ONLY, "verification:objection_create"
    ),
    (S.IN_NOTICE, S.PENDING_REVIEW): Rule(
        "公示有异议，重新审核", OFFICE_ONLY, "verification:objection_create"
    ),
    (S.REPORTED, S.ARCHIVED): Rule("归档", OFFICE_ONLY),
    (S.AUTO_EXIT, S.PENDING_VERIFICATION): Rule(
        "撤销自动退出，恢复核查", OFFICE_ONLY, "verification:auto_exit_reverse"
    ),
    (S.AUTO_EXIT, S.ARCHIVED): Rule("归档", OFFICE_ONLY),
}

# States in which verification entries (data-match results, home visits) may still be made.
DATA_ENTRY_STATES = frozenset({S.PENDING_SCREENING, S.PENDING_VERIFICATION})
# Work not finished when a deadline passes (marked overdue).
UNSCREENED_STATES = frozenset({S.PENDING_SCREENING})
UNVERIFIED_STATES = frozenset({S.PENDING_SCREENING, S.PENDING_VERIFICATION})
REFUSAL_STATES = frozenset({S.REFUSED, S.NOTICE_DELIVERED, S.RECEIPT_RETURNED})
FINAL_STATES = frozenset({S.ARCHIVED})


def label(state: str) -> str:
    """Return the Chinese name of a state ('' for none)."""
    return STATE_LABELS[State(state)] if state else "（新建）"


def rule_for(from_state: str, to_state: str) -> Rule | None:
    """The rule allowing from_state → to_state, or None if the table has no such edge."""
    try:
        return TRANSITIONS.get((State(from_state), State(to_state)))
    except ValueError:
        return None


def targets(from_state: str) -> list[tuple[State, Rule]]:
    """Every state reachable in one step from `from_state`, in table order."""
    return [(to, rule) for (frm, to), rule in TRANSITIONS.items() if frm == from_state]


def refusal_message(from_state: str, to_state: str) -> str:
    """Say in Chinese why a transition is not in the table and what may follow instead."""
    allowed = "、".join(f"“{label(to)}”" for to, _ in targets(from_state)) or "无（已办结）"
    return (
        f"不能从“{label(from_state)}”直接变更为“{label(to_state)}”。"
        f"当前状态下可以变更为：{allowed}。"
    )
