"""household_documents(): what the archives app compiles into the dossier."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.verification.factories import (
    DataMatchFactory,
    DecisionFactory,
    MeetingFactory,
    make_case,
    notice_for,
    pdf_bytes,
)
from verification.models import ReviewDecision
from verification.services import (
    household_documents,
    notice_number,
    record_delivery,
    record_home_visit,
    record_receipt,
    record_refusal,
)
from verification.states import State

pytestmark = pytest.mark.django_db
KEYS = {"kind", "title", "doc_number", "responsible", "date"}


def test_documents_of_a_reviewed_and_posted_household(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    DataMatchFactory(case=case, member=case.household.members.get(), deposits=Decimal("100"))
    record_home_visit(
        case=case,
        actor=office_user,
        visited_on=date(2022, 11, 9),
        investigators=["王静", "涂磊"],
        members_finding="一人",
        employment_income_finding="无业",
        property_finding="无",
        spending_finding="低",
        scan=SimpleUploadedFile("v.pdf", pdf_bytes(3)),
    )
    case.state = State.IN_NOTICE
    case.save()
    meeting = MeetingFactory(campaign=campaign, held_on=date(2022, 11, 23))
    decision = DecisionFactory(meeting=meeting, case=case, monthly_amount=Decimal("300"))
    notice_for(case, decision, start=date(2022, 11, 24))

    docs = household_documents(case.household)
    kinds = [d["kind"] for d in docs]
    assert kinds == ["data_match", "home_visit", "review_record", "public_notice"]
    for doc in docs:
        assert KEYS <= set(doc)
        assert ("render" in doc) != ("file_path" in doc)
    visit = docs[1]
    assert Path(visit["file_path"]).is_file() and visit["pages"] == 3
    assert visit["responsible"] == "王静、涂磊" and visit["date"] == date(2022, 11, 9)
    assert docs[2]["doc_number"] == meeting.number
    for doc in docs:
        if "render" in doc:
            assert doc["render"]().startswith(b"%PDF")


def test_documents_of_a_refusal_and_a_negative_decision(
    campaign, village_a, officer_a, office_user, today
):
    today(date(2022, 11, 15))
    case = make_case(village_a, campaign)
    record_refusal(
        case=case, actor=officer_a, refused_on=date(2022, 11, 10), details="拒绝签署授权书"
    )
    notice_number(case.refusal)
    record_delivery(
        case=case,
        actor=officer_a,
        delivered_on=date(2022, 11, 11),
        delivered_by="专干",
        method="left",
    )
    record_receipt(
        case=case,
        actor=office_user,
        scan=SimpleUploadedFile("r.png", pdf_bytes(1)),
        received_on=date(2022, 11, 14),
    )
    DecisionFactory(
        case=case, decision=ReviewDecision.Decision.EXIT, notice_number="洗民不符告〔2022〕7号"
    )

    docs = {d["kind"]: d for d in household_documents(case.household)}
    assert {"refusal_notice", "receipt", "review_record", "ineligibility_notice"} <= set(docs)
    assert docs["refusal_notice"]["doc_number"] == case.refusal.notice_number
    assert (
        docs["receipt"]["date"] == date(2022, 11, 14)
        and Path(docs["receipt"]["file_path"]).is_file()
    )
    assert docs["ineligibility_notice"]["doc_number"] == "洗民不符告〔2022〕7号"
    assert docs["ineligibility_notice"]["render"]().startswith(b"%PDF")


def test_household_without_case_has_no_documents(village_a):
    from tests.factories import HouseholdFactory

    assert household_documents(HouseholdFactory(village=village_a)) == []
