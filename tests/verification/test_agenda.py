"""Issue 20.4: the meeting page shows each row's facts and decides several households at once."""

import pytest
from django.urls import reverse

from tests.verification.factories import (
    DataMatchFactory,
    HomeVisitFactory,
    MeetingFactory,
    make_case,
    screening_result,
)
from verification.models import Case, ReviewDecision
from verification.services.agenda import proposed_decision
from verification.states import State

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "outcome, source, expected",
    [
        ("dibao", "new_candidate", "include_dibao"),
        ("dibao", "current_recipient", "maintain"),
        ("marginal", "new_candidate", "include_marginal"),
        ("not_eligible", "current_recipient", "exit"),
        ("not_eligible", "lookback", "reject"),
        ("manual_review", "new_candidate", ""),
        ("", "new_candidate", ""),
    ],
)
def test_proposed_decision_follows_the_verdict(outcome, source, expected):
    assert proposed_decision(outcome, source) == expected


@pytest.fixture
def agenda(campaign, village_a):
    meeting = MeetingFactory(campaign=campaign)
    cases = [make_case(village_a, campaign, state=State.PENDING_REVIEW) for _ in range(3)]
    items = [
        ReviewDecision.objects.create(meeting=meeting, case=c, position=i + 1, is_current=False)
        for i, c in enumerate(cases)
    ]
    return meeting, cases, items


def test_each_row_shows_verdict_income_proposal_flags_mismatches_and_visit(
    client_for, office_user, agenda
):
    meeting, cases, items = agenda
    screening_result(
        cases[0].household,
        cases[0].campaign,
        outcome="dibao",
        per_capita_income="4800",
        monthly_amount="162.00",
        flag_codes=",asset_vehicle_not_exempt,",
    )
    member = cases[0].household.members.first()
    DataMatchFactory(case=cases[0], member=member, vehicles=1)
    HomeVisitFactory(case=cases[0], employment_income_finding="户主务农，无稳定收入")
    response = client_for(office_user).get(meeting.get_absolute_url())
    body = response.content.decode()
    row = body[body.index(f'id="item{items[0].pk}"') : body.index(f'id="item{items[1].pk}"')]
    assert "低保" in row and "4,800.00 元/年" in row and "400.00 元/月" in row
    assert 'data-fact="proposed">纳入低保<' in row and "162.00 元" in row
    assert "有非豁免车辆" in row
    assert "信息比对查到车辆 1 辆" in row
    assert "户主务农，无稳定收入" in row
    form = response.context["rows"][0]["form"]
    assert form.initial["decision"] == "include_dibao"
    assert 'value="include_dibao" selected' in row


def test_several_households_decided_in_one_submit_and_an_error_stays_on_its_row(
    client_for, office_user, agenda
):
    meeting, cases, items = agenda
    for c in cases:
        screening_result(c.household, c.campaign, outcome="dibao", per_capita_income="4800")
    data = {}
    for item, case, reasons, include in [
        (items[0], cases[0], "人均收入低于低保标准，入户调查属实", True),
        (items[1], cases[1], "", True),  # no reasons: refused, on its own row
        (items[2], cases[2], "人均收入低于标准，家中有重病人", True),
    ]:
        p = f"item{item.pk}"
        data.update({f"{p}-version": case.version, f"{p}-decision": "include_dibao"})
        data[f"{p}-reasons"] = reasons
        data[f"{p}-counted_members"] = "2" if item is items[1] else ""
        if include:
            data[f"{p}-include"] = "on"
    response = client_for(office_user).post(
        reverse("verification:meeting_decide_many", args=[meeting.pk]), data
    )
    assert response.status_code == 200
    states = {c.pk: Case.objects.get(pk=c.pk).state for c in cases}
    assert states == {
        cases[0].pk: "reviewed",
        cases[1].pk: "pending_review",
        cases[2].pk: "reviewed",
    }
    body = response.content.decode()
    failed_row = body[body.index(f'id="item{items[1].pk}"') : body.index(f'id="item{items[2].pk}"')]
    assert "请填写审核理由" in failed_row and "has-row-error" in failed_row
    assert f'name="item{items[1].pk}-counted_members" value="2"' in failed_row
    assert "已保存 2 户" in body


def test_rows_not_ticked_are_not_decided(client_for, office_user, agenda):
    meeting, cases, items = agenda
    p = f"item{items[0].pk}"
    data = {f"{p}-version": cases[0].version, f"{p}-decision": "reject", f"{p}-reasons": ""}
    response = client_for(office_user).post(
        reverse("verification:meeting_decide_many", args=[meeting.pk]), data, follow=True
    )
    assert "没有勾选" in response.content.decode()
    assert Case.objects.get(pk=cases[0].pk).state == "pending_review"


def test_officers_and_leaders_cannot_decide(client_for, officer_a, leader, agenda):
    meeting, _, _ = agenda
    url = reverse("verification:meeting_decide_many", args=[meeting.pk])
    assert client_for(officer_a).post(url, {}).status_code == 403
    assert client_for(leader).post(url, {}).status_code == 403
