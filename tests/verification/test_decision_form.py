"""The meeting page's decision form: no default decision, errors that name the field."""

import re

import pytest
from django.urls import reverse

from tests.verification.factories import MeetingFactory, make_case
from verification.models import ReviewDecision
from verification.states import State

pytestmark = pytest.mark.django_db
GENERIC_REQUIRED = "这个字段是必填项"


def agenda_item(campaign, village):
    case = make_case(village, campaign, state=State.PENDING_REVIEW)
    meeting = MeetingFactory(campaign=campaign)
    item = ReviewDecision.objects.create(meeting=meeting, case=case, position=1, is_current=False)
    return case, meeting, item


def decision_select(page: str, prefix: str) -> str:
    match = re.search(rf'<select name="{prefix}-decision".*?</select>', page, re.S)
    assert match, "议程上应有审核意见下拉框"
    return match.group(0)


def test_decision_starts_blank_and_is_required(client_for, campaign, village_a, office_user):
    case, meeting, item = agenda_item(campaign, village_a)
    page = client_for(office_user).get(meeting.get_absolute_url()).content.decode()
    select = decision_select(page, f"item{item.pk}")
    options = re.findall(r"<option value=\"([^\"]*)\"( selected)?>([^<]*)</option>", select)
    assert options[0][0] == "" and options[0][2] == "请选择审核意见"
    assert [o for o in options if o[1]] in ([], [options[0]]), "不得预选任何审核意见"
    assert "required" in select


def test_missing_decision_and_reasons_are_named_and_input_kept(
    client_for, campaign, village_a, office_user
):
    case, meeting, item = agenda_item(campaign, village_a)
    prefix = f"item{item.pk}"
    response = client_for(office_user).post(
        reverse("verification:meeting_decide", args=[meeting.pk, item.pk]),
        {
            f"{prefix}-version": case.version,
            f"{prefix}-decision": "",
            f"{prefix}-per_capita_income_monthly": "123.45",
            f"{prefix}-reasons": "",
        },
    )
    page = response.content.decode()
    assert "请选择审核意见。" in page and "请填写审核理由。" in page
    assert GENERIC_REQUIRED not in page
    assert 'value="123.45"' in page
    item.refresh_from_db()
    case.refresh_from_db()
    assert item.decision == "" and case.state == State.PENDING_REVIEW


def test_reasons_error_keeps_the_chosen_decision(client_for, campaign, village_a, office_user):
    case, meeting, item = agenda_item(campaign, village_a)
    prefix = f"item{item.pk}"
    response = client_for(office_user).post(
        reverse("verification:meeting_decide", args=[meeting.pk, item.pk]),
        {f"{prefix}-version": case.version, f"{prefix}-decision": "maintain"},
    )
    page = response.content.decode()
    assert "请填写审核理由。" in page and GENERIC_REQUIRED not in page
    select = decision_select(page, prefix)
    assert '<option value="maintain" selected>维持</option>' in select
