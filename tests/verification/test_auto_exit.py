"""视为自动退出: not before the notice's deadline, only with a confirmed reason, reversible."""

from datetime import date

import pytest

from tests.verification.factories import make_case, refusal_for
from verification.models import Case
from verification.services import (
    CaseError,
    case_actions,
    confirm_auto_exit,
    reverse_auto_exit,
    transition,
)
from verification.states import State
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
S = State


def returned(village, campaign, **refusal):
    case = make_case(village, campaign, state=S.RECEIPT_RETURNED)
    values = {"receipt_scan_path": "scans/r.pdf", "receipt_received_on": date(2022, 11, 14)}
    refusal_for(case, **(values | refusal))
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize(
    ("day", "reply_by", "allowed"),
    [
        (date(2022, 11, 15), None, False),  # before the cutoff the notice printed (11-21)
        (date(2022, 11, 21), None, False),  # the deadline day itself still belongs to the family
        (date(2022, 11, 22), None, True),
        (date(2022, 11, 22), date(2022, 11, 25), False),  # the notice's own date wins
        (date(2022, 11, 26), date(2022, 11, 25), True),
    ],
)
def test_exit_refused_before_the_notice_deadline(
    day, reply_by, allowed, campaign, village_a, office_user, today
):
    today(day)
    case = returned(village_a, campaign, reply_by=reply_by)
    reason = "期满仍拒不配合经济核查，无特殊情况"
    if allowed:
        confirm_auto_exit(case=case, actor=office_user, reason=reason, confirmed=True)
        assert case.state == S.AUTO_EXIT
        assert case.refusal.exit_reason == reason and case.refusal.exit_by == office_user
        assert case.refusal.exit_at.date() == day  # the app's clock, not the machine's
    else:
        with pytest.raises(CaseError, match="期限届满前不能视为自动退出"):
            confirm_auto_exit(case=case, actor=office_user, reason=reason, confirmed=True)
        case.refresh_from_db()
        assert case.state == S.RECEIPT_RETURNED
        action = next(a for a in case_actions(case=case, user=office_user) if a.to == S.AUTO_EXIT)
        assert "期限届满前" in action.blocked


@pytest.mark.parametrize(
    ("reason", "confirmed", "message"),
    [
        ("", True, "请写明视为自动退出的理由"),
        ("太短", True, "请写明视为自动退出的理由"),
        ("期满仍拒不配合经济核查，无特殊情况", False, "请勾选确认"),
    ],
)
def test_exit_needs_a_reason_and_the_confirmation(
    reason, confirmed, message, campaign, village_a, office_user, today
):
    today(date(2022, 11, 22))
    case = returned(village_a, campaign)
    with pytest.raises(CaseError, match=message):
        confirm_auto_exit(case=case, actor=office_user, reason=reason, confirmed=confirmed)
    case.refresh_from_db()
    assert case.state == S.RECEIPT_RETURNED


def test_bare_transition_cannot_skip_the_confirmation(campaign, village_a, office_user, today):
    today(date(2022, 11, 22))
    case = returned(village_a, campaign)
    with pytest.raises(CaseError, match="确认视为自动退出"):
        transition(case=case, to_state=S.AUTO_EXIT, actor=office_user, reason="退出")


def test_reversal_is_audited_and_only_while_the_campaign_is_open(
    campaign, village_a, office_user, today
):
    today(date(2022, 11, 22))
    case = returned(village_a, campaign)
    confirm_auto_exit(case=case, actor=office_user, reason="期满仍拒不配合经济核查", confirmed=True)
    with pytest.raises(CaseError, match="撤销自动退出的理由"):
        reverse_auto_exit(case=case, actor=office_user, reason="错了")
    reason = "告知书送达地址有误，家属已补签核查授权书"
    reverse_auto_exit(case=case, actor=office_user, reason=reason)
    case.refresh_from_db()
    assert case.state == S.PENDING_VERIFICATION
    last = case.transitions.order_by("-id").first()
    assert (last.from_state, last.to_state) == (S.AUTO_EXIT, S.PENDING_VERIFICATION)
    assert reason in last.reason
    assert AuditEvent.objects.filter(summary__contains="撤销自动退出").exists()
    assert case.refusal.reversed_by == office_user

    closed = returned(village_a, campaign)
    confirm_auto_exit(
        case=closed, actor=office_user, reason="期满仍拒不配合经济核查", confirmed=True
    )
    campaign.is_active = False
    campaign.save()
    closed = Case.objects.get(pk=closed.pk)
    with pytest.raises(CaseError, match="已结束，不能再撤销自动退出"):
        reverse_auto_exit(case=closed, actor=office_user, reason=reason)
    assert closed.state == S.AUTO_EXIT
