"""Deadline enforcement on both sides of both deadlines, idempotent, via service, command, task."""

from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import AssistanceFactory, HouseholdFactory, MemberFactory
from tests.verification.factories import make_case
from verification.models import Bulletin, Case, Notification
from verification.services import CaseError, enforce_deadlines, record_data_match
from verification.states import State
from xixin_dibao.celery import app
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def scope(campaign, village_a, village_b):
    """village_a: a 回头看 household never screened; village_b: a current recipient to check."""
    lookback = MemberFactory(household=HouseholdFactory(village=village_a))
    AssistanceFactory(member=lookback, start_date=date(2020, 1, 1), end_date=date(2021, 6, 30))
    current = MemberFactory(household=HouseholdFactory(village=village_b))
    AssistanceFactory(member=current, start_date=date(2020, 1, 1))
    return {"a": lookback.household, "b": current.household}


def snapshot():
    return (
        Notification.objects.count(),
        Bulletin.objects.count(),
        Case.objects.filter(overdue=True).count(),
        AuditEvent.objects.count(),
    )


def test_nothing_before_the_reminder_window(scope):
    (report,) = enforce_deadlines(today=date(2022, 10, 29))  # 4 days before 11-02
    assert report.cases_opened == 2
    assert report.reminders == [] and not Notification.objects.exists()
    assert not Bulletin.objects.exists() and not Case.objects.filter(overdue=True).exists()


def test_outreach_reminder_three_days_before_only_to_villages_with_open_work(scope, village_a):
    (report,) = enforce_deadlines(today=date(2022, 10, 30))
    (note,) = Notification.objects.all()
    assert note.village == village_a and note.kind == "outreach_reminder"
    assert note.open_count == 1 and "还有3天" in note.title and "2022年11月2日" in note.body
    before = snapshot()
    enforce_deadlines(today=date(2022, 10, 31))
    assert snapshot() == before  # idempotent: one reminder per village and deadline


def test_on_outreach_deadline_day_no_bulletin_yet(scope):
    enforce_deadlines(today=date(2022, 11, 2))
    assert not Bulletin.objects.exists()
    assert not Case.objects.filter(overdue=True).exists()


def test_after_outreach_deadline_bulletin_names_lagging_village(scope, village_a, village_b):
    (report,) = enforce_deadlines(today=date(2022, 11, 3))
    assert report.bulletin_created and report.unscreened == 1
    bulletin = Bulletin.objects.get()
    assert "保合村：应摸排1户，已完成0户，尚有1户未完成，完成率0.0%" in bulletin.body
    assert "万寿村" not in bulletin.body.split("以下村摸排工作进度滞后")[1]
    figures = {f["village"]: f for f in bulletin.figures}
    assert figures["万寿村"]["unscreened"] == 0 and figures["保合村"]["unscreened"] == 1
    lagging = Case.objects.get(household=scope["a"])
    assert lagging.overdue and "摸排" in lagging.overdue_reason
    assert not Case.objects.get(household=scope["b"]).overdue
    before = snapshot()
    (again,) = enforce_deadlines(today=date(2022, 11, 3))
    assert snapshot() == before and not again.bulletin_created and again.overdue_marked == 0


def test_verification_reminders_three_days_before_cutoff(scope, village_a, village_b):
    enforce_deadlines(today=date(2022, 11, 18))
    kinds = set(Notification.objects.values_list("village__name", "kind"))
    assert kinds == {("保合村", "verification_reminder"), ("万寿村", "verification_reminder")}


def test_cutoff_day_accepts_and_next_day_refuses_and_marks_overdue(scope, office_user, settings):
    enforce_deadlines(today=date(2022, 11, 21))
    assert not Case.objects.filter(overdue=True, overdue_reason__contains="核查").exists()
    case = Case.objects.get(household=scope["b"])
    member = scope["b"].members.get()
    settings.APP_TODAY = date(2022, 11, 21)
    record_data_match(
        case=case, actor=office_user, rows=[{"member": member, "matched_on": date(2022, 11, 21)}]
    )

    (report,) = enforce_deadlines(today=date(2022, 11, 22))
    assert report.overdue_marked == 2
    reasons = set(Case.objects.values_list("overdue_reason", flat=True))
    assert reasons == {"逾期未完成核查（截止2022年11月21日）"}
    before = snapshot()
    enforce_deadlines(today=date(2022, 11, 22))
    enforce_deadlines(today=date(2022, 11, 23))
    assert snapshot() == before

    settings.APP_TODAY = date(2022, 11, 22)
    case.refresh_from_db()
    with pytest.raises(CaseError, match="不再受理"):
        record_data_match(
            case=case,
            actor=office_user,
            rows=[{"member": member, "matched_on": date(2022, 11, 21)}],
        )


def test_finished_cases_are_not_marked_overdue(campaign, village_a):
    make_case(village_a, campaign, state=State.PENDING_REVIEW)
    enforce_deadlines(today=date(2022, 11, 25))
    assert not Case.objects.filter(overdue=True).exists()


def test_overdue_clears_when_the_case_moves_on(scope, office_user):
    enforce_deadlines(today=date(2022, 11, 22))
    case = Case.objects.get(household=scope["b"])
    from tests.verification.factories import refusal_for
    from verification.services import transition

    refusal_for(case)
    transition(case=case, to_state=State.REFUSED, actor=office_user, reason="拒不配合")
    case.refresh_from_db()
    assert not case.overdue


def test_frozen_clock_drives_the_task(scope):
    """The beat task uses the app clock: frozen with time_machine, no explicit date passed."""
    task = app.tasks["verification.tasks.enforce_deadlines"]
    moment = datetime(2022, 11, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        reports = task.delay().get()
    assert reports[0]["today"] == "2022-11-03" and reports[0]["bulletin_created"]
    assert Bulletin.objects.exists()


def test_beat_schedule_names_the_task(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "verification.tasks.enforce_deadlines" in names
    assert "verification.tasks.enforce_deadlines" in app.tasks


def test_management_command_with_today_is_idempotent(scope):
    out = StringIO()
    call_command("enforce_deadlines", "--today", "2022-11-03", stdout=out)
    assert "已生成通报草稿" in out.getvalue() and "未摸排 1 户" in out.getvalue()
    before = snapshot()
    out = StringIO()
    call_command("enforce_deadlines", "--today", "2022-11-03", stdout=out)
    assert snapshot() == before
    assert "新建案件 0 户" in out.getvalue() and "标记逾期 0 户" in out.getvalue()


def test_management_command_rejects_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("enforce_deadlines", "--today", "11/03/2022")
