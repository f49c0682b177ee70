"""导出Excel of the case list and of a 公示 (拟纳入、维持): same filters and scoping as the page."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.verification.factories import DecisionFactory, make_case, notice_for
from verification.states import State
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def sheet_of(response):
    assert response.status_code == 200, response.content[:300]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_case_export_has_the_pages_filters_and_scope(
    client_for, campaign, village_a, village_b, officer_a
):
    overdue = make_case(village_a, campaign, overdue=True)
    fine = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    theirs = make_case(village_b, campaign, overdue=True)
    client = client_for(officer_a)
    ws = sheet_of(client.get(reverse("verification:case_list_export")))
    codes = [c.value for c in ws["A"][1:]]
    assert sorted(codes) == sorted([overdue.household.code, fine.household.code])
    assert theirs.household.code not in codes
    ws = sheet_of(client.get(reverse("verification:case_list_export"), {"overdue": "1"}))
    rows = list(ws.iter_rows(min_row=2))
    assert [r[0].value for r in rows] == [overdue.household.code]
    assert rows[0][3].data_type == "n" and rows[0][6].value == "逾期"
    assert rows[0][8].is_date and rows[0][8].number_format == "yyyy-mm-dd hh:mm"
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I2"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT, actor=officer_a).exists()


def test_notice_export_lists_its_households_for_those_who_may_see_it(
    client_for, campaign, village_a, officer_a, officer_b, office_user
):
    case = make_case(village_a, campaign, state=State.IN_NOTICE)
    notice, _ = notice_for(case, DecisionFactory(case=case), start=date(2022, 11, 24))
    notice.entries.update(monthly_amount=Decimal("1234.50"))
    url = reverse("verification:notice_export", args=[notice.pk])
    ws = sheet_of(client_for(officer_a).get(url))
    header = [c.value for c in ws[1]]
    assert header[:4] == ["姓名", "家庭人口", "类别", "月保障金（元/户）"]
    row = list(ws.iter_rows(min_row=2))
    assert len(row) == notice.entries.count() >= 1
    assert row[0][1].data_type == "n" and row[0][3].value == 1234.5
    assert row[0][3].number_format == "#,##0.00"
    assert client_for(officer_b).get(url).status_code == 404


def test_a_large_list_export_runs_as_a_job(
    client_for, campaign, village_a, office_user, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    for _ in range(3):
        make_case(village_a, campaign)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(office_user).get(reverse("verification:case_list_export"))
    job = Job.objects.get(kind="list_export")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message == "已导出 3 行。"
    ws = load_workbook(Path(settings.MEDIA_ROOT, job.result_file)).active
    assert ws.max_row == 4 and ws.auto_filter.ref == "A1:I4"
