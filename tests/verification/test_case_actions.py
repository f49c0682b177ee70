"""The case page's 办理 row: a labelled reason box, and only the steps whose guards pass."""

import re
from datetime import date

import pytest
from django.urls import reverse

from tests.verification.factories import (
    DecisionFactory,
    complete_verification,
    make_case,
    notice_for,
    survey_done,
)
from verification.models import CaseTransition, ReviewDecision
from verification.services import CaseError, case_actions, transition
from verification.states import State

pytestmark = pytest.mark.django_db
REASON_LABEL = "办理说明（将记入办理记录）"


def detail(client, case) -> str:
    response = client.get(reverse("verification:case_detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def buttons(page: str) -> list[str]:
    return re.findall(r'<button[^>]*name="to_state" value="(\w+)"', page)


def in_notice_case(campaign, village):
    case = make_case(village, campaign, state=State.IN_NOTICE)
    decision = DecisionFactory(case=case, decision=ReviewDecision.Decision.INCLUDE_DIBAO)
    notice_for(case, decision, start=date(2022, 11, 24))  # 7 days: 24–30 November
    return case


def test_reason_box_is_labelled_and_empty(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    survey_done(case)
    page = detail(client_for(office_user), case)
    assert f'<label for="id_reason">{REASON_LABEL}</label>' in page
    box = re.search(r"<textarea[^>]*id=\"id_reason\"[^>]*>(.*?)</textarea>", page, re.S)
    assert box and box.group(1).strip() == "", "办理说明不得预填按钮文字"
    assert 'placeholder="可不填' in box.group(0)
    assert buttons(page) == [State.PENDING_VERIFICATION]


def test_empty_reason_records_the_step_name(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    survey_done(case)
    response = client_for(office_user).post(
        reverse("verification:case_transition", args=[case.pk]),
        {"to_state": State.PENDING_VERIFICATION, "reason": "  ", "version": case.version},
    )
    assert response.status_code == 302
    record = CaseTransition.objects.get(case=case, to_state=State.PENDING_VERIFICATION)
    assert record.reason == "摸排完成，转入核查"


def test_written_reason_is_recorded(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    survey_done(case)
    client_for(office_user).post(
        reverse("verification:case_transition", args=[case.pk]),
        {"to_state": State.PENDING_VERIFICATION, "reason": "电话核实已摸排", "version": 1},
    )
    assert CaseTransition.objects.get(case=case).reason == "电话核实已摸排"


def test_report_waits_for_the_end_of_the_notice_period(
    client_for, campaign, village_a, office_user, today
):
    case = in_notice_case(campaign, village_a)
    today(date(2022, 11, 24))
    page = detail(client_for(office_user), case)
    assert State.REPORTED not in buttons(page)
    assert "公示期满无异议，报县" not in page
    assert "公示期至2022年11月30日，期满后才能报县。" in page

    today(date(2022, 12, 1))
    page = detail(client_for(office_user), case)
    assert State.REPORTED in buttons(page)
    assert "公示期满无异议，报县" in page and "期满后才能报县" not in page


def test_reviewed_case_offers_notice_or_report_by_its_decision(
    client_for, campaign, village_a, office_user
):
    positive = make_case(village_a, campaign, state=State.REVIEWED)
    DecisionFactory(case=positive, decision=ReviewDecision.Decision.INCLUDE_DIBAO)
    page = detail(client_for(office_user), positive)
    assert reverse("verification:notice_create") in page
    assert State.REPORTED not in buttons(page)
    assert "拟纳入或维持的家庭须先张榜公示" in page

    negative = make_case(village_a, campaign, state=State.REVIEWED)
    DecisionFactory(case=negative, decision=ReviewDecision.Decision.REJECT)
    page = detail(client_for(office_user), negative)
    assert reverse("verification:notice_create") not in page
    assert "只有审核意见为纳入或维持的家庭才张榜公示" in page
    assert State.REPORTED in buttons(page)


def test_officer_sees_no_office_steps(client_for, campaign, village_a, officer_a, today):
    today(date(2022, 12, 1))
    case = in_notice_case(campaign, village_a)
    page = detail(client_for(officer_a), case)
    assert buttons(page) == [] and REASON_LABEL not in page


def test_a_case_not_yet_surveyed_is_not_offered_the_step_to_verification(
    client_for, campaign, village_a, office_user
):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    assert buttons(detail(client_for(office_user), case)) == []
    with pytest.raises(CaseError, match="该户尚未标记摸排完成"):
        transition(case=case, to_state=State.PENDING_VERIFICATION, actor=office_user, reason="转入")


def test_leadership_does_not_open_cases(client_for, campaign, village_a, leader):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    response = client_for(leader).get(reverse("verification:case_detail", args=[case.pk]))
    assert response.status_code == 403


CASES = [
    (State.PENDING_SCREENING, None),
    (State.PENDING_VERIFICATION, "incomplete"),
    (State.PENDING_VERIFICATION, "complete"),
    (State.PENDING_REVIEW, None),
    (State.REVIEWED, ReviewDecision.Decision.INCLUDE_DIBAO),
    (State.REVIEWED, ReviewDecision.Decision.EXIT),
    (State.IN_NOTICE, date(2022, 11, 24)),
    (State.IN_NOTICE, date(2022, 12, 1)),
    (State.RECEIPT_RETURNED, None),
    (State.REPORTED, None),
]


@pytest.mark.parametrize(("state", "setup"), CASES)
def test_page_and_service_agree(state, setup, campaign, village_a, office_user, today):
    """Every step offered without a page succeeds; every blocked one fails with its message."""
    today(date(2022, 11, 24))
    case = make_case(village_a, campaign, state=state)
    if setup == "complete":
        complete_verification(case)
    elif isinstance(setup, str) and setup in ReviewDecision.Decision.values:
        DecisionFactory(case=case, decision=setup)
    elif isinstance(setup, date):
        decision = DecisionFactory(case=case)
        notice_for(case, decision, start=date(2022, 11, 24))
        today(setup)
    for action in case_actions(case=case, user=office_user):
        if action.rule.page:
            continue
        if action.blocked:
            with pytest.raises(CaseError) as refused:
                transition(case=case, to_state=action.to, actor=office_user, reason="测试")
            assert refused.value.message == action.blocked
        else:
            with pytest.raises(_RolledBack):
                _try(case, action.to, office_user)
            case.refresh_from_db()


class _RolledBack(Exception):
    pass


def _try(case, to_state, actor):
    """Make the transition, then undo it so the next action starts from the same state."""
    from django.db import transaction

    with transaction.atomic():
        transition(case=case, to_state=to_state, actor=actor, reason="测试")
        raise _RolledBack


def test_submit_waits_for_the_verification_gaps(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_VERIFICATION)
    page = detail(client_for(office_user), case)
    assert State.PENDING_REVIEW not in buttons(page)
    assert "提交审核前还需要" in page and "才能提交审核" in page

    complete_verification(case)
    page = detail(client_for(office_user), case)
    assert State.PENDING_REVIEW in buttons(page) and "才能提交审核" not in page
