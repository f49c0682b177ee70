"""The one transition service: every legal edge, illegal edges, roles, guards, conflicts."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from tests.verification.factories import (
    DecisionFactory,
    complete_verification,
    make_case,
    notice_for,
    refusal_for,
    survey_done,
)
from verification.models import Case, CaseTransition, Objection, ReviewDecision
from verification.services import CaseError, ConflictError, transition
from verification.states import TRANSITIONS, State
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
S = State
NEGATIVE = ReviewDecision.Decision.REJECT


def _objected(case):
    decision = DecisionFactory(case=case)
    _, entry = notice_for(case, decision, withdrawn=True)
    Objection.objects.create(
        entry=entry, received_on=date(2022, 11, 25), content="群众反映有车", action="reinvestigate"
    )


# What each edge needs besides the table; a new edge without an entry here fails the test below.
PRECONDITIONS = {
    (S.PENDING_SCREENING, S.PENDING_VERIFICATION): survey_done,
    (S.PENDING_VERIFICATION, S.PENDING_REVIEW): complete_verification,
    (S.PENDING_REVIEW, S.PENDING_VERIFICATION): lambda c: None,
    (S.PENDING_VERIFICATION, S.REFUSED): refusal_for,
    (S.REFUSED, S.NOTICE_DELIVERED): lambda c: refusal_for(c, delivered_on=date(2022, 11, 11)),
    (S.NOTICE_DELIVERED, S.RECEIPT_RETURNED): lambda c: refusal_for(
        c, receipt_scan_path="scans/r.pdf", receipt_received_on=date(2022, 11, 14)
    ),
    (S.RECEIPT_RETURNED, S.AUTO_EXIT): lambda c: refusal_for(
        c,
        receipt_scan_path="scans/r.pdf",
        receipt_received_on=date(2022, 11, 14),
        reply_by=date(2022, 11, 18),
        exit_reason="期满仍拒不配合核查",
    ),
    (S.REFUSED, S.PENDING_VERIFICATION): lambda c: refusal_for(c, exception_reason="外出就医"),
    (S.NOTICE_DELIVERED, S.PENDING_VERIFICATION): lambda c: refusal_for(
        c, exception_reason="外出就医"
    ),
    (S.RECEIPT_RETURNED, S.PENDING_VERIFICATION): lambda c: refusal_for(
        c, exception_reason="外出就医"
    ),
    (S.PENDING_REVIEW, S.REVIEWED): lambda c: DecisionFactory(case=c),
    (S.REVIEWED, S.PENDING_REVIEW): lambda c: DecisionFactory(case=c),
    (S.REVIEWED, S.IN_NOTICE): lambda c: notice_for(c, DecisionFactory(case=c)),
    (S.REVIEWED, S.REPORTED): lambda c: DecisionFactory(case=c, decision=NEGATIVE),
    (S.IN_NOTICE, S.REPORTED): lambda c: notice_for(
        c, DecisionFactory(case=c), start=date(2022, 11, 1)
    ),
    (S.IN_NOTICE, S.PENDING_VERIFICATION): _objected,
    (S.IN_NOTICE, S.PENDING_REVIEW): _objected,
    (S.REPORTED, S.ARCHIVED): lambda c: None,
    (S.AUTO_EXIT, S.PENDING_VERIFICATION): lambda c: refusal_for(
        c, reversal_reason="送达有误，家属已补签授权书"
    ),
    (S.AUTO_EXIT, S.ARCHIVED): lambda c: None,
}


def test_every_edge_of_the_table_is_exercised():
    assert set(PRECONDITIONS) == set(TRANSITIONS)


@pytest.mark.parametrize(("frm", "to"), list(TRANSITIONS))
def test_every_legal_transition_is_recorded(frm, to, campaign, village_a, office_user, today):
    today(date(2022, 11, 20))
    case = make_case(village_a, campaign, state=frm)
    PRECONDITIONS[(frm, to)](case)
    case = Case.objects.get(pk=case.pk)
    record = transition(case=case, to_state=to, actor=office_user, reason="测试原因")
    case.refresh_from_db()
    assert case.state == to
    assert case.version == 2
    assert (record.from_state, record.to_state, record.actor) == (frm, to, office_user)
    assert record.reason == "测试原因"
    event = AuditEvent.objects.get(kind="transition", object_id=str(case.pk))
    assert event.actor == office_user
    assert event.before["state"] == frm and event.after["state"] == to


@pytest.mark.parametrize(
    ("frm", "to"),
    [
        (S.PENDING_SCREENING, S.PENDING_REVIEW),
        (S.PENDING_VERIFICATION, S.REVIEWED),
        (S.REFUSED, S.AUTO_EXIT),
        (S.NOTICE_DELIVERED, S.AUTO_EXIT),
        (S.PENDING_REVIEW, S.IN_NOTICE),
        (S.ARCHIVED, S.PENDING_VERIFICATION),
        (S.AUTO_EXIT, S.IN_NOTICE),
    ],
)
def test_illegal_transitions_are_refused_with_a_message(frm, to, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=frm)
    with pytest.raises(CaseError) as exc:
        transition(case=case, to_state=to, actor=office_user, reason="试图跳过")
    assert "不能从" in exc.value.message
    case.refresh_from_db()
    assert case.state == frm and case.version == 1
    assert not CaseTransition.objects.filter(case=case).exists()


def test_reason_is_required(campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=S.PENDING_SCREENING)
    with pytest.raises(CaseError, match="请填写变更原因"):
        transition(case=case, to_state=S.PENDING_VERIFICATION, actor=office_user, reason="  ")


def test_review_needs_every_member_matched_and_a_home_visit(campaign, village_a, office_user):
    case = make_case(village_a, campaign, members=2)
    first, second = case.household.members.all()
    from tests.verification.factories import DataMatchFactory

    DataMatchFactory(case=case, member=first)
    with pytest.raises(CaseError) as exc:
        transition(case=case, to_state=S.PENDING_REVIEW, actor=office_user, reason="提交")
    assert second.name in exc.value.message
    assert first.name not in exc.value.message
    assert "入户调查" in exc.value.message


def test_members_not_living_together_need_no_match(campaign, village_a, office_user):
    case = make_case(village_a, campaign, members=2)
    away = case.household.members.last()
    away.exclusion = "prison"
    away.save()
    from tests.verification.factories import DataMatchFactory, HomeVisitFactory

    DataMatchFactory(case=case, member=case.household.members.first())
    HomeVisitFactory(case=case)
    transition(case=case, to_state=S.PENDING_REVIEW, actor=office_user, reason="提交")
    assert case.state == S.PENDING_REVIEW


def test_auto_exit_needs_the_receipt_on_file(campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=S.RECEIPT_RETURNED)
    refusal_for(case, receipt_received_on=date(2022, 11, 14))  # date but no scan
    with pytest.raises(CaseError, match="回执"):
        transition(case=case, to_state=S.AUTO_EXIT, actor=office_user, reason="退出")


def test_officer_does_data_entry_steps_in_own_village(campaign, village_a, officer_a):
    case = make_case(village_a, campaign, state=S.PENDING_SCREENING)
    with pytest.raises(CaseError, match="该户尚未标记摸排完成"):
        transition(case=case, to_state=S.PENDING_VERIFICATION, actor=officer_a, reason="摸排完成")
    survey_done(case)
    transition(case=case, to_state=S.PENDING_VERIFICATION, actor=officer_a, reason="摸排完成")
    assert case.state == S.PENDING_VERIFICATION


def test_officer_cannot_touch_another_village(campaign, village_a, officer_b):
    case = make_case(village_a, campaign, state=S.PENDING_SCREENING)
    with pytest.raises(PermissionDenied, match="本村"):
        transition(case=case, to_state=S.PENDING_VERIFICATION, actor=officer_b, reason="越权")


@pytest.mark.parametrize(
    ("frm", "to"),
    [(frm, to) for (frm, to), rule in TRANSITIONS.items() if "village_officer" not in rule.actors],
)
def test_officer_cannot_make_office_only_transitions(frm, to, campaign, village_a, officer_a):
    case = make_case(village_a, campaign, state=frm)
    PRECONDITIONS[(frm, to)](case)
    with pytest.raises(PermissionDenied, match="只能由民政办办理"):
        transition(case=case, to_state=to, actor=officer_a, reason="越权")
    case.refresh_from_db()
    assert case.state == frm


def test_leadership_is_read_only(campaign, village_a, leader):
    case = make_case(village_a, campaign, state=S.PENDING_SCREENING)
    with pytest.raises(PermissionDenied, match="只读"):
        transition(case=case, to_state=S.PENDING_VERIFICATION, actor=leader, reason="只读")


def test_second_of_two_concurrent_decisions_gets_a_conflict(campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=S.REVIEWED)
    DecisionFactory(case=case, decision=NEGATIVE)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    transition(case=first, to_state=S.REPORTED, actor=office_user, reason="报县")
    with pytest.raises(ConflictError) as exc:
        transition(case=second, to_state=S.PENDING_REVIEW, actor=office_user, reason="重审")
    assert "请刷新页面" in exc.value.message and "已报县" in exc.value.message
    case.refresh_from_db()
    assert case.state == S.REPORTED and case.version == 2
    assert CaseTransition.objects.filter(case=case).count() == 1


def test_stale_expected_version_is_a_conflict(campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=S.PENDING_SCREENING)
    with pytest.raises(ConflictError):
        transition(
            case=case,
            to_state=S.PENDING_VERIFICATION,
            actor=office_user,
            reason="摸排完成",
            expected_version=0,
        )
    case.refresh_from_db()
    assert case.state == S.PENDING_SCREENING


def test_reopening_retires_the_decision(campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=S.REVIEWED)
    decision = DecisionFactory(case=case)
    transition(case=case, to_state=S.PENDING_REVIEW, actor=office_user, reason="重新审核")
    decision.refresh_from_db()
    assert decision.is_current is False
