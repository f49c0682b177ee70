"""Screening pages with the test client: queue, export, re-screen, 回头看, what-if, household page."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from households.models import Household
from screening import services
from screening.models import ScreeningResult, ScreeningRun
from tests.factories import AssistanceFactory, IncomeFactory
from tests.screening.factories import ApplicationFactory, AssetFactory, family
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def screened(campaign, village_a, village_b):
    """Five households in two villages, screened: 2 dibao, 1 marginal, 1 review, 1 not eligible."""
    h = {
        "poor": family(village_a, income="3000", head_name="王贫"),
        "near": family(village_a, income="9500", head_name="李近"),  # 6,650 after 30% cost
        "car": family(village_a, income="3000", head_name="赵车"),
        "rich": family(village_b, income="60000", head_name="钱富"),
        "poor_b": family(village_b, income="2000", head_name="孙穷", petition_count=3),
    }
    AssetFactory(household=h["car"], kind="vehicle", vehicle_kind="car")
    # + 500 = 7,150: 边缘, within 500 of the 6,972 standard
    IncomeFactory(household=h["near"], kind="operating", amount=Decimal("500"))
    services.screen_households(campaign=campaign)
    return h


def _rows(response):
    return [r.household.head_name for r in response.context["results"]]


def test_office_director_lands_on_the_queue(client_for, office_user):
    response = client_for(office_user).get(reverse("home"))
    assert response.status_code == 302 and response.url == reverse("screening:queue")


def test_queue_lists_every_screened_household_with_counts(client_for, office_user, screened):
    response = client_for(office_user).get(reverse("screening:queue"))
    assert response.status_code == 200
    assert sorted(_rows(response)) == sorted(["王贫", "李近", "赵车", "钱富", "孙穷"])
    counts = {v: n for v, _, n, _ in response.context["outcome_counts"]}
    assert counts == {"dibao": 2, "marginal": 1, "not_eligible": 1, "manual_review": 1}
    body = response.content.decode()
    assert "研判队列" in body and "有非豁免车辆" in body and "导出Excel" in body
    assert "重新研判" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"outcome": "dibao"}, {"王贫", "孙穷"}),
        ({"outcome": "manual_review"}, {"赵车"}),
        ({"flag": "asset_vehicle_not_exempt"}, {"赵车"}),
        ({"group": "12"}, {"孙穷"}),
        ({"near": "on"}, {"李近"}),
        ({"q": "钱"}, {"钱富"}),
        ({"changed": "new"}, {"王贫", "李近", "赵车", "钱富", "孙穷"}),
        ({"changed": "1"}, set()),
    ],
)
def test_queue_filters(client_for, office_user, screened, query, expected):
    response = client_for(office_user).get(reverse("screening:queue"), query)
    assert set(_rows(response)) == expected


def test_queue_filters_by_village_and_sorts_by_income(client_for, office_user, screened, village_a):
    client = client_for(office_user)
    response = client.get(reverse("screening:queue"), {"village": village_a.pk, "sort": "-income"})
    assert _rows(response) == ["李近", "王贫", "赵车"] or _rows(response) == [
        "李近",
        "赵车",
        "王贫",
    ]
    assert _rows(response)[0] == "李近"
    response = client.get(reverse("screening:queue"), {"sort": "income"})
    incomes = [r.per_capita_income for r in response.context["results"]]
    assert incomes == sorted(incomes)


def test_queue_orders_by_village_then_household_code_and_follows_a_new_code(
    client_for, office_user, campaign, screened
):
    client = client_for(office_user)

    def order():
        results = client.get(reverse("screening:queue")).context["results"]
        return [(r.household.village.code, r.household.code) for r in results]

    before = order()
    assert before == sorted(before) and len(before) == 5
    # A household of the first village gets a code that sorts last: after re-screening it
    # is the last of its village, still before the second village's households.
    first = Household.objects.get(code=before[0][1])
    first.code = "ZZ-last"
    first.save()
    services.screen_households(campaign=campaign)
    after = order()
    assert after == sorted(after)
    village_a_codes = [code for village, code in after if village == first.village.code]
    assert village_a_codes[-1] == "ZZ-last" and len(village_a_codes) == 3


def test_queue_shows_changed_outcomes_after_a_new_standard(
    client_for, office_user, campaign, screened
):
    campaign.dibao_standard_monthly = Decimal("600")  # 7,200 > 李近's 7,150; nobody else moves
    campaign.save()
    services.screen_households(campaign=campaign)
    response = client_for(office_user).get(reverse("screening:queue"), {"changed": "1"})
    assert _rows(response) == ["李近"]
    assert "由“低保边缘”变为“低保”" in response.content.decode()


def test_queue_query_count_does_not_grow_with_rows(
    client_for, office_user, campaign, village_a, django_assert_max_num_queries
):
    client = client_for(office_user)
    for _ in range(3):
        family(village_a, income="3000")
    services.screen_households(campaign=campaign)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("screening:queue"))
    for _ in range(40):
        family(village_a, income="3000", petition_count=2)
    services.screen_households(campaign=campaign)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("screening:queue"))
    assert len(response.context["results"]) == 43


def test_village_officer_cannot_open_the_director_pages(client_for, officer_a, screened):
    client = client_for(officer_a)
    for name in ("queue", "export", "lookback", "what_if"):
        assert client.get(reverse(f"screening:{name}")).status_code == 403
    assert client.post(reverse("screening:run")).status_code == 403


def test_leadership_neither_reads_the_queue_nor_starts_screening(client_for, leader, screened):
    client = client_for(leader)
    for name in ("queue", "lookback", "what_if", "export"):
        assert client.get(reverse(f"screening:{name}")).status_code == 403
    assert client.post(reverse("screening:run")).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get(reverse("screening:queue"))
    assert response.status_code == 302 and "/login/" in response.url


def test_export_writes_the_filtered_queue_as_safe_xlsx(client_for, office_user, screened):
    from households.models import Household

    Household.objects.filter(pk=screened["poor"].pk).update(head_name="=HYPERLINK(1)")
    response = client_for(office_user).get(reverse("screening:export"), {"outcome": "dibao"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:3] == ("户编号", "户主", "村")
    names = {r[1] for r in rows[2:]}
    assert names == {"=HYPERLINK(1)", "孙穷"}  # kept as typed, stored as quoted text
    quoted = [c for c in sheet["B"][2:] if c.value == "=HYPERLINK(1)"]
    assert quoted[0].data_type == "s" and quoted[0].quotePrefix
    assert all(r[6] == "低保" for r in rows[2:])
    assert sorted(r[5] for r in rows[2:]) == [1400, 2100]  # numbers stay numbers
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == f"A2:P{len(rows)}"
    assert {c.number_format for c in sheet["F"][2:]} == {"#,##0.00"}
    assert AuditEvent.objects.filter(kind="export", actor=office_user).count() == 1


def test_office_starts_a_village_run_as_a_job_with_progress(
    client_for, office_user, campaign, village_a, django_capture_on_commit_callbacks
):
    for _ in range(3):
        family(village_a, income="3000")
    client = client_for(office_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:run"), {"village": village_a.pk})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "done" and (job.done, job.total) == (3, 3)
    assert "低保 3 户" in job.message
    run = ScreeningRun.objects.get()
    assert run.village == village_a and run.job == job and run.started_by == office_user
    progress = client.get(job.get_absolute_url(), HTTP_ACCEPT="application/json").json()
    assert progress["percent"] == 100 and progress["status"] == "done"


def lookback_families(village):
    """周退 left 低保 in 2021 (screened: 低保); 吴拒's application was refused (not screened)."""
    left = family(village, income="3000", head_name="周退")
    AssistanceFactory(
        member=left.members.first(), start_date=date(2019, 1, 1), end_date=date(2021, 9, 30)
    )
    refused = family(village, income="60000", head_name="吴拒")
    ApplicationFactory(household=refused, applied_on=date(2022, 5, 10))
    services.screen_household(household_id=left.pk)


def test_lookback_page_lists_exits_and_refusals_with_their_verdicts(
    client_for, office_user, campaign, village_a
):
    lookback_families(village_a)
    client = client_for(office_user)

    response = client.get(reverse("screening:lookback"))
    body = response.content.decode()
    assert response.status_code == 200
    assert [(h.head_name, r and r.outcome) for h, r in response.context["rows"]] == [
        ("周退", "dibao"),
        ("吴拒", None),
    ]
    assert "2021-09-30" in body and "未研判" in body
    response = client.get(reverse("screening:lookback"), {"kind": "refused"})
    assert [h.head_name for h, _ in response.context["rows"]] == ["吴拒"]


def test_lookback_export_is_the_pages_list_typed(
    client_for, office_user, officer_a, campaign, village_a
):
    lookback_families(village_a)
    client = client_for(office_user)

    response = client.get(reverse("screening:lookback_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [(r[1].value, r[5].value) for r in rows] == [("周退", "低保"), ("吴拒", "未研判")]
    exit_date, income = rows[0][3], rows[0][7]
    assert exit_date.is_date and exit_date.value.date() == date(2021, 9, 30)
    assert income.data_type == "n" and income.number_format == "#,##0.00"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    response = client.get(reverse("screening:lookback_export"), {"kind": "refused"})
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert [r[1].value for r in sheet.iter_rows(min_row=2)] == ["吴拒"]
    assert client_for(officer_a).get(reverse("screening:lookback_export")).status_code == 403


def test_what_if_lists_changes_by_village_without_saving(
    client_for, office_user, screened, village_a
):
    before = list(ScreeningResult.objects.values_list("pk", "outcome", "is_current"))
    response = client_for(office_user).get(
        reverse("screening:what_if"), {"dibao_standard_annual": "7200"}
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert [(c.head_name, c.before, c.after) for c in report.changes] == [
        ("李近", "marginal", "dibao")
    ]
    rows = {v.name: (v.households, v.changed) for v in report.by_village}
    assert rows == {"保合村": (3, 1), "万寿村": (2, 0)}
    body = response.content.decode()
    assert "低保边缘→低保 1 户" in body and "<strong>7,200.00</strong>" in body
    assert list(ScreeningResult.objects.values_list("pk", "outcome", "is_current")) == before


def test_what_if_explains_bad_parameters_in_chinese(client_for, office_user, screened):
    client = client_for(office_user)
    response = client.get(reverse("screening:what_if"), {"marginal_multiplier": "1"})
    assert response.context["report"] is None
    assert "边缘倍数必须大于1" in response.content.decode()
    response = client.get(
        reverse("screening:what_if"),
        {"standard": "7200", "standard_unit": "month", "near_line_band": "x"},
    )
    body = response.content.decode()
    assert response.context["report"] is None
    assert "折合 86,400.00 元/人/年" in body and "请把单位选为“元/人/年”" in body
    assert 'value="7200"' in body and 'value="x"' in body


def test_household_page_explains_the_verdict(client_for, officer_a, campaign, village_a):
    household = family(village_a, income="5800")
    services.screen_household(household_id=household.pk)
    response = client_for(officer_a).get(household.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "资格研判" in body and 'class="badge dibao"' in body
    expected = (
        "人均年收入 4,060.00 元，低于低保标准 6,972.00 元"
        '<span class="clause">（《最低生活保障审核确认办法》第十二条；洗府发〔2022〕156号 三(二)）'
    )
    assert expected in body
    name = household.members.get().name
    assert "必要就业成本扣减范围为“所有有工资性收入的成员”（工作方案参数），扣减比例 30%" in body
    assert f"{name}（本地或未外出）在扣减范围内：工资性收入 5,800.00 元，扣除 1,740.00 元" in body
    assert "扣减范围：所有有工资性收入的成员" in body
    assert "<dt>必要就业成本扣减范围</dt><dd>所有有工资性收入的成员</dd>" in body
    assert "家庭年收入合计" in body and "4,060.00 元" in body
    assert "本次研判使用的政策参数" in body and "<dd>6,972.00</dd>" in body


def test_household_page_keeps_earlier_verdicts(client_for, office_user, campaign, village_a):
    household = family(village_a, income="10000")
    services.screen_household(household_id=household.pk)
    campaign.dibao_standard_monthly = Decimal("600")
    campaign.save()
    services.screen_household(household_id=household.pk)
    body = client_for(office_user).get(household.get_absolute_url()).content.decode()
    assert "历次研判结果（1 次" in body
    assert "结论由“低保边缘”变为“低保”" in body
    assert "6,972.00" in body and "7,200.00" in body


def test_household_page_before_any_screening_offers_to_screen(
    client_for, officer_a, campaign, village_a
):
    household = family(village_a, income="5800")
    client = client_for(officer_a)
    assert "尚未研判" in client.get(household.get_absolute_url()).content.decode()
    response = client.post(reverse("screening:rescreen_household", args=[household.pk]))
    assert response.status_code == 302
    assert ScreeningResult.objects.get(household=household).outcome == "dibao"


def test_rescreen_button_respects_roles_and_villages(
    client_for, leader, officer_b, campaign, village_a
):
    household = family(village_a, income="5800")
    url = reverse("screening:rescreen_household", args=[household.pk])
    assert client_for(leader).post(url).status_code == 403
    assert client_for(officer_b).post(url).status_code == 404
    assert not ScreeningResult.objects.exists()


def test_large_export_runs_as_a_job_with_a_download(
    client_for, office_user, screened, monkeypatch, django_capture_on_commit_callbacks
):
    from screening import views

    monkeypatch.setattr(views, "EXPORT_SYNC_LIMIT", 2)
    client = client_for(office_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("screening:export"), {"village": "", "sort": "income"})
    job = Job.objects.get(kind="screening_export")
    assert response.url == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == "done" and job.message == "已导出 5 户。"
    download = client.get(job.get_download_url())
    sheet = load_workbook(BytesIO(b"".join(download.streaming_content))).active
    incomes = [r[5] for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert len(incomes) == 5 and incomes == sorted(incomes)


def test_lookback_and_what_if_query_counts_do_not_grow(
    client_for, office_user, campaign, village_a, django_assert_max_num_queries
):
    client = client_for(office_user)

    def add(n):
        for _ in range(n):
            h = family(village_a, income="3000")
            ApplicationFactory(household=h, applied_on=date(2022, 1, 5))
        services.screen_households(campaign=campaign)

    add(2)
    counts = {}
    for name, query in (("lookback", {}), ("what_if", {"dibao_standard_monthly": "700"})):
        with django_assert_max_num_queries(30) as ctx:
            client.get(reverse(f"screening:{name}"), query)
        counts[name] = len(ctx.captured_queries)
    add(30)
    for name, query in (("lookback", {}), ("what_if", {"dibao_standard_monthly": "700"})):
        with django_assert_max_num_queries(counts[name]):
            response = client.get(reverse(f"screening:{name}"), query)
    assert len(response.context["report"].changes) == 0
    assert response.context["report"].household_count == 32


def test_household_page_queries_do_not_grow_with_history(
    client_for, office_user, campaign, village_a, django_assert_max_num_queries
):
    household = family(village_a, income="10000")
    client = client_for(office_user)
    services.screen_household(household_id=household.pk)
    with django_assert_max_num_queries(40) as first:
        client.get(household.get_absolute_url())
    for monthly in ("590", "600", "610", "620"):
        campaign.dibao_standard_monthly = Decimal(monthly)
        campaign.save()
        services.screen_household(household_id=household.pk)
    with django_assert_max_num_queries(len(first.captured_queries)):
        body = client.get(household.get_absolute_url()).content.decode()
    assert "历次研判结果（4 次" in body


def test_a_second_run_waits_for_the_first(client_for, office_user, campaign):
    running = Job.objects.create(
        kind="screening",
        title="重新研判：全乡",
        owner=office_user,
        status="running",
        params={"campaign_id": campaign.pk},
    )
    response = client_for(office_user).post(reverse("screening:run"), {"village": ""})
    assert response.url == running.get_absolute_url()
    assert Job.objects.count() == 1


def test_what_if_tiles_count_moves_in_and_out_over_the_listed_households(
    client_for, office_user, screened
):
    response = client_for(office_user).get(
        reverse("screening:what_if"), {"standard": "7200", "standard_unit": "year"}
    )
    report = response.context["report"]
    tiles = {t.value: t for t in report.outcome_rows}
    listed = response.context["changes"]
    assert sum(t.moved_in for t in tiles.values()) == len(listed)
    assert sum(t.moved_out for t in tiles.values()) == len(listed)
    for value, tile in tiles.items():
        assert tile.moved_in == sum(1 for c in listed if c.after == value)
        assert tile.moved_out == sum(1 for c in listed if c.before == value)
        assert tile.after == tile.before + tile.moved_in - tile.moved_out
    assert (tiles["dibao"].moved_in, tiles["marginal"].moved_out) == (1, 1)
    body = response.content.decode()
    assert "即 600.00 元/人/月 = 7,200.00 元/人/年" in body


def test_a_full_disk_fails_the_export_job_in_chinese_without_a_file(
    client_for, office_user, screened, monkeypatch, settings, full_disk,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from screening import views

    monkeypatch.setattr(views, "EXPORT_SYNC_LIMIT", 2)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(office_user).get(reverse("screening:export"), {"village": ""})
    job = Job.objects.get(kind="screening_export")
    assert job.status == "failed" and "磁盘空间不足，文件未保存" in job.message
    assert not job.result_file
    folder = settings.MEDIA_ROOT / "jobs" / str(job.pk)
    assert not folder.exists() or not any(folder.iterdir())
