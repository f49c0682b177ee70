"""The assistance register by hand (issue 16 point 1): rules, services, pages, audit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from households import caseload
from households.models import Application, AssistanceRecord
from households.register import RegisterError, Spell, application_errors, shares, spell_errors
from tests.factories import AssistanceFactory, HouseholdFactory, MemberFactory
from xixin_dibao.models import AuditEvent

TODAY = date(2022, 11, 10)


@pytest.fixture(autouse=True)
def pinned(settings):
    settings.APP_TODAY = TODAY


def fields(errors) -> dict:
    return dict(errors)


# ---- the rules (no database) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"end_date": date(2020, 1, 1), "exit_reason": "death"}, "end_date", "早于起始日期"),
        ({"start_date": date(2022, 12, 1)}, "start_date", "晚于今天"),
        ({"monthly_amount": Decimal("-1")}, "monthly_amount", "不能为负数"),
        ({"people_covered": 0}, "people_covered", "至少为 1 人"),
        ({"end_date": date(2022, 3, 1)}, "exit_reason", "须选择退出原因"),
        ({"exit_reason": "death"}, "end_date", "请同时填写终止日期"),
        ({"end_date": date(2022, 3, 1), "exit_reason": "other"}, "exit_note", "写明具体原因"),
        ({"kind": "pension"}, "kind", "请选择救助类别"),
    ],
)
def test_each_bad_value_is_refused_on_its_field(values, field, words):
    base = {"kind": "dibao", "start_date": date(2021, 1, 1), "today": TODAY}
    errors = fields(spell_errors(**(base | values)))
    assert field in errors and words in errors[field]


@pytest.mark.parametrize(
    ("other", "mine", "overlap"),
    [
        (("marginal", date(2021, 1, 1), None), ("dibao", date(2022, 1, 1), None), True),
        (("extreme_poverty", date(2019, 1, 1), date(2021, 6, 1)), ("dibao", date(2021, 5, 1), None), True),
        # end_date is the first day without assistance: a spell may start that day.
        (("marginal", date(2019, 1, 1), date(2021, 6, 1)), ("dibao", date(2021, 6, 1), None), False),
        (("dibao", date(2022, 1, 1), None), ("dibao_single", date(2019, 1, 1), date(2021, 12, 31)), False),
        (("dibao", date(2019, 1, 1), None), ("dibao", date(2020, 1, 1), None), True),
    ],
)  # fmt: skip
def test_kinds_are_mutually_exclusive_in_time(other, mine, overlap):
    kind, start, end = mine
    errors = fields(
        spell_errors(
            kind=kind,
            start_date=start,
            end_date=end,
            exit_reason="income_rose" if end else "",
            others=[Spell(*other)],
            today=TODAY,
        )
    )
    assert ("start_date" in errors and "时间重叠" in errors["start_date"]) is overlap


@pytest.mark.parametrize(
    "amount, people, expected",
    [
        ("793", 3, ["264.34", "264.33", "264.33"]),  # not 3 × 264.33 = 792.99
        ("792.97", 2, ["396.49", "396.48"]),
        ("328.66", 1, ["328.66"]),
        ("0.02", 3, ["0.01", "0.01", "0.00"]),
        ("300", 2, ["150.00", "150.00"]),
    ],
)
def test_a_household_amount_is_shared_out_to_the_fen_and_adds_up(amount, people, expected):
    got = shares(Decimal(amount), people)
    assert got == [Decimal(e) for e in expected]
    assert sum(got) == Decimal(amount)


def test_no_amount_shares_out_as_no_amount():
    assert shares(None, 2) == [None, None]


def test_a_refused_application_needs_its_reason_and_dates_in_order():
    errors = fields(
        application_errors(
            kind="dibao",
            applied_on=date(2022, 3, 1),
            outcome="refused",
            decided_on=date(2022, 2, 1),
            reason="",
            today=TODAY,
        )
    )
    assert "回头看" in errors["reason"] and "早于申请日期" in errors["decided_on"]
    assert not application_errors(
        kind="marginal",
        applied_on=date(2022, 3, 1),
        outcome="withdrawn",
        decided_on=None,
        reason="",
        today=TODAY,
    )


# ---- the services ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_office_adds_corrects_and_ends_a_record_and_the_audit_keeps_each_value(office_user):
    member = MemberFactory()
    record = caseload.save_record(
        actor=office_user,
        member=member,
        kind="dibao",
        start_date=date(2021, 3, 1),
        monthly_amount=Decimal("300"),
        people_covered=1,
    )
    assert (
        member.household.__class__.objects.get(pk=member.household_id).assistance_now == ",dibao,"
    )
    caseload.save_record(
        actor=office_user, member=member, record=record, monthly_amount=Decimal("320")
    )
    caseload.end_record(
        actor=office_user, record=record, end_date=date(2022, 6, 1), exit_reason="income_rose"
    )
    record.refresh_from_db()
    assert (record.monthly_amount, record.end_date) == (Decimal("320"), date(2022, 6, 1))
    assert record.get_exit_reason_display() == "收入增加"
    events = AuditEvent.objects.filter(
        model="households.AssistanceRecord", object_id=str(record.pk)
    )
    changes = [(e.before or {}).get("monthly_amount") for e in events.order_by("pk")]
    assert changes == [None, "300", "320"]  # the earlier values stay in the trail
    assert all(e.household_id == member.household_id for e in events)
    assert member.household.__class__.objects.get(pk=member.household_id).assistance_now == ""


@pytest.mark.django_db
def test_overlap_with_an_existing_record_is_refused_and_nothing_is_written(office_user):
    member = MemberFactory()
    AssistanceFactory(member=member, kind="extreme_poverty", start_date=date(2020, 1, 1))
    with pytest.raises(RegisterError) as caught:
        caseload.save_record(
            actor=office_user, member=member, kind="dibao_single", start_date=date(2022, 1, 1)
        )
    assert "特困" in fields(caught.value.errors)["start_date"]
    assert AssistanceRecord.objects.filter(member=member).count() == 1


@pytest.mark.django_db
def test_village_officers_cannot_change_the_register(officer_a, village_a):
    member = MemberFactory(household=HouseholdFactory(village=village_a))
    with pytest.raises(PermissionDenied):
        caseload.save_record(
            actor=officer_a, member=member, kind="dibao", start_date=date(2021, 1, 1)
        )
    with pytest.raises(PermissionDenied):
        caseload.save_application(
            actor=officer_a,
            household=member.household,
            kind="dibao",
            applied_on=date(2022, 1, 1),
            outcome="pending",
        )


# ---- the pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_shows_the_error_next_to_the_field_and_keeps_the_input(client_for, office_user):
    member = MemberFactory()
    household = member.household
    url = reverse("households:record_create", args=[household.pk])
    response = client_for(office_user).post(
        url,
        {
            "member": member.pk,
            "kind": "dibao",
            "start_date": "2022-05-01",
            "end_date": "2022-04-01",
            "exit_reason": "moved",
            "monthly_amount": "-5",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "终止日期不能早于起始日期" in html and "月保障金不能为负数" in html
    assert 'value="2022-05-01"' in html  # what was typed is kept
    assert not AssistanceRecord.objects.exists()


@pytest.mark.django_db
def test_office_records_an_application_and_officers_only_read(
    client_for, office_user, officer_a, village_a
):
    household = MemberFactory(household=HouseholdFactory(village=village_a)).household
    response = client_for(office_user).post(
        reverse("households:application_create", args=[household.pk]),
        {
            "kind": "marginal",
            "applied_on": "2022-02-01",
            "outcome": "refused",
            "decided_on": "2022-03-01",
            "reason": "家庭财产超标",
        },
    )
    assert response.status_code == 302
    application = Application.objects.get(household=household)
    assert application.get_outcome_display() == "未通过"
    officer = client_for(officer_a)
    page = officer.get(household.get_absolute_url()).content.decode()
    edit_url = reverse("households:application_edit", args=[household.pk, application.pk])
    assert "家庭财产超标" in page and "救助记录由民政办登记和更正" in page
    assert (
        edit_url not in page
        and reverse("households:record_create", args=[household.pk]) not in page
    )
    assert officer.get(reverse("households:record_create", args=[household.pk])).status_code == 403
    assert (
        officer.post(
            reverse("households:application_edit", args=[household.pk, application.pk]),
            {"kind": "dibao", "applied_on": "2022-02-01", "outcome": "approved"},
        ).status_code
        == 403
    )
