"""The transition table itself (pure Python)."""

import itertools

import pytest

from verification import states
from verification.states import TRANSITIONS, State

S = State


def test_every_state_has_a_chinese_label():
    assert set(states.STATE_LABELS) == set(State)
    assert states.label("pending_review") == "待审核"


def test_table_matches_the_documented_flow():
    main = [
        S.PENDING_SCREENING,
        S.PENDING_VERIFICATION,
        S.PENDING_REVIEW,
        S.REVIEWED,
        S.IN_NOTICE,
        S.REPORTED,
        S.ARCHIVED,
    ]
    for frm, to in itertools.pairwise(main):
        assert (frm, to) in TRANSITIONS, (frm, to)
    refusal = [
        S.PENDING_VERIFICATION,
        S.REFUSED,
        S.NOTICE_DELIVERED,
        S.RECEIPT_RETURNED,
        S.AUTO_EXIT,
    ]
    for frm, to in itertools.pairwise(refusal):
        assert (frm, to) in TRANSITIONS, (frm, to)


def test_every_state_is_reachable_from_the_start():
    seen, todo = {S.PENDING_SCREENING}, [S.PENDING_SCREENING]
    while todo:
        current = todo.pop()
        for to, _ in states.targets(current):
            if to not in seen:
                seen.add(to)
                todo.append(to)
    assert seen == set(State)


def test_archived_is_final_and_exit_only_follows_the_receipt():
    assert states.targets(S.ARCHIVED) == []
    into_exit = [frm for (frm, to) in TRANSITIONS if to == S.AUTO_EXIT]
    assert into_exit == [S.RECEIPT_RETURNED]


def test_village_officers_never_decide_exit_post_report_or_archive():
    office_only = {S.REVIEWED, S.IN_NOTICE, S.REPORTED, S.ARCHIVED, S.AUTO_EXIT, S.RECEIPT_RETURNED}
    for (frm, to), rule in TRANSITIONS.items():
        if to in office_only:
            assert rule.actors == states.OFFICE_ONLY, (frm, to)
        assert states.OFFICE in rule.actors


ILLEGAL = [(frm, to) for frm, to in itertools.product(State, State) if (frm, to) not in TRANSITIONS]


@pytest.mark.parametrize(("frm", "to"), ILLEGAL)
def test_pairs_outside_the_table_are_refused(frm, to):
    assert states.rule_for(frm, to) is None
    message = states.refusal_message(frm, to)
    assert f"不能从“{states.label(frm)}”直接变更为“{states.label(to)}”" in message


def test_refusal_message_lists_what_is_allowed():
    message = states.refusal_message(S.NOTICE_DELIVERED, S.AUTO_EXIT)
    assert "“回执已交回”" in message and "“待核查”" in message


def test_unknown_state_is_not_a_rule():
    assert states.rule_for("pending_review", "approved_by_magic") is None
