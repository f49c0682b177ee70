"""Dashboard pages: who may see what, the snapshot, refresh, drill-down, export and 通报."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from households.models import AssistanceRecord, Campaign, Household
from tests.factories import HouseholdFactory, MemberFactory, TownshipFactory, UserFactory
from xixin_dibao import dashboard, dashboard_lists
from xixin_dibao.models import AuditEvent, CoverageHistory, DashboardSnapshot

from .conftest import EXPECTED_A, MID_CAMPAIGN
from .factories import case, household, screened

pytestmark = pytest.mark.django_db
URL = "/dashboard/"


def test_office_sees_figures_with_links_and_the_refresh_button(
    dataset, campaign, village_a, office_user, client_for
):
    response = client_for(office_user).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "数据更新于" in html and "立即刷新" in html
    table = response.context["tables"]["progress"]
    row_a = table.rows[0]
    cells = {c.key: c for c in row_a.cells if c.key}
    assert row_a.label == "保合村"
    assert cells["outreach_done"].value == EXPECTED_A["outreach_done"]
    assert cells["outreach_done"].url == (
        f"/dashboard/households/?campaign={campaign.pk}&key=outreach_done&village={village_a.pk}"
    )
    shares = [(c.key, c.share_text) for c in row_a.cells if c.has_share]
    assert shares == [
        ("outreach_done", "75.0%"),  # 3 of 4
        ("datamatch_done", "50.0%"),  # the rest are of 4 cases
        ("visit_done", "50.0%"),
        ("verification_done", "50.0%"),
        ("reviewed", "25.0%"),
        ("noticed", "0.0%"),
        ("archived", "0.0%"),
    ]
    total = table.rows[-1]
    assert total.total
    assert [c.share_text for c in total.cells if c.has_share] == [
        "85.7%",
        "62.5%",
        "62.5%",
        "75.0%",
        "50.0%",
        "25.0%",
        "12.5%",
    ]
    assert f'href="/dashboard/households/?campaign={campaign.pk}&amp;key=outreach_pending"' in html


def test_stage_funnel_and_deadlines_are_counted(dataset, office_user, client_for):
    context = client_for(office_user).get(URL).context
    assert [(s["label"], s["done"], s["base"]) for s in context["stages"]] == [
        ("摸排", 6, 7),
        ("信息比对", 5, 8),
        ("入户调查", 5, 8),
        ("审核", 4, 8),
        ("公示（含报县）", 2, 8),
        ("归档", 1, 8),
    ]
    assert context["outreach"]["text"] == "已过截止日 8 天" and context["outreach"]["passed"]
    assert context["cutoff"]["text"] == "还剩 11 天" and not context["cutoff"]["passed"]
    assert context["below_households"] and context["below_persons"]


def test_coverage_below_baseline_is_red(dataset, office_user, client_for):
    context = client_for(office_user).get(URL).context
    rows = context["tables"]["coverage"].rows
    by_key = {c.key: c for c in rows[1].cells}  # 万寿村: households level, persons below
    assert not by_key["now_households"].alert
    assert by_key["now_persons"].alert and by_key["net_persons"].alert
    assert 'class="num below"' in client_for(office_user).get(URL).content.decode()


def test_leader_sees_numbers_only(dataset, leader, client_for):
    response = client_for(leader).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "/dashboard/households/" not in html
    assert "立即刷新" not in html and reverse("dashboard_refresh") not in html
    assert response.context["total"]["outreach_done"] == 6


@pytest.mark.parametrize("path", [URL, "/dashboard/refresh/", "/dashboard/households/?key=cases"])
def test_leader_posts_are_forbidden(dataset, leader, client_for, path):
    assert client_for(leader).post(path).status_code == 403


def test_leader_cannot_open_household_lists(dataset, leader, client_for):
    assert client_for(leader).get("/dashboard/households/?key=cases").status_code == 403


@pytest.mark.parametrize(
    "path",
    [URL, "/dashboard/households/?key=cases", "/dashboard/bulletin/", "/dashboard/export.xlsx"],
)
def test_village_officers_are_sent_to_their_start_page(dataset, officer_a, client_for, path):
    response = client_for(officer_a).get(path)
    assert response.status_code == 302 and response.url == reverse("home")


def test_village_officer_cannot_refresh(dataset, officer_a, client_for):
    assert client_for(officer_a).post("/dashboard/refresh/").status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_office_get_only_pages_refuse_post_with_405(dataset, office_user, client_for):
    assert client_for(office_user).post(URL).status_code == 405


def test_no_active_campaign_says_so(db, office_user, client_for):
    response = client_for(office_user).get(URL)
    assert response.status_code == 200
    assert "还没有进行中的工作方案" in response.content.decode()


def test_county_user_switches_between_townships(dataset, campaign, office_user, client_for):
    other = TownshipFactory(code="500240215", name="别的乡")
    second = Campaign.objects.create(
        name="别的乡方案",
        year=2022,
        township=other,
        dibao_standard_monthly=581,
        marginal_multiplier=1.5,
        outreach_deadline=date(2022, 11, 2),
        verification_cutoff=date(2022, 11, 21),
    )
    client = client_for(office_user)  # no township: the county level
    html = client.get(URL).content.decode()
    assert f'href="?campaign={second.pk}">别的乡</a>' in html
    response = client.get(URL, {"campaign": second.pk})
    assert response.context["campaign"] == second
    assert response.context["total"]["outreach_due"] == 0
    assert client.get(URL, {"campaign": campaign.pk}).context["total"]["outreach_due"] == 7
    local = UserFactory(role="office", township=campaign.township)  # can't reach the other
    assert (
        "还没有进行中的工作方案"
        in client_for(local).get(URL, {"campaign": second.pk}).content.decode()
    )


def test_user_of_another_township_gets_no_campaign(dataset, client_for):
    other = TownshipFactory(code="500240215", name="别的乡")
    user = UserFactory(role="office", township=other)
    assert "还没有进行中的工作方案" in client_for(user).get(URL).content.decode()


# ---- the snapshot ------------------------------------------------------------------------


def test_page_reads_the_snapshot_until_refreshed(dataset, campaign, office_user, client_for):
    client = client_for(office_user)
    client.get(URL)
    snap = DashboardSnapshot.objects.get(campaign=campaign)
    assert snap.as_of == MID_CAMPAIGN and snap.data["total"]["now_persons"] == 9
    # A new dibao household: the page keeps showing the stored figures...
    household(dataset["h1"].village, members=2, assistance="dibao")
    assert client.get(URL).context["total"]["now_persons"] == 9
    # ...until the office refreshes.
    response = client.post("/dashboard/refresh/", follow=True)
    assert "看板数据已刷新" in response.content.decode()
    assert response.context["total"]["now_persons"] == 11
    assert DashboardSnapshot.objects.count() == 1


def test_a_snapshot_from_another_day_is_recomputed(
    dataset, campaign, office_user, client_for, today
):
    client_for(office_user).get(URL)
    today(MID_CAMPAIGN + timedelta(days=15))  # after the 11月21日 cutoff
    context = client_for(office_user).get(URL).context
    assert context["snapshot"].as_of == date(2022, 11, 25)
    assert context["total"]["verification_overdue"] == 2
    assert CoverageHistory.objects.filter(campaign=campaign).count() == 2


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL).status_code == 200
    return len(ctx.captured_queries)


def _grow(campaign, village, n):
    for _ in range(n):
        h = household(village, members=2, assistance="dibao", groups=[1])
        screened(h, campaign, "dibao", groups=[1, 7])
        case(h, campaign, "current_recipient", "pending_review", visited=True)


def test_query_count_does_not_grow_with_households(
    dataset, campaign, village_a, office_user, client_for, django_assert_max_num_queries
):
    client = client_for(office_user)
    client.get("/")  # the session's first write is not the dashboard's
    cold_small = _queries(client)  # computes the snapshot
    warm_small = _queries(client)  # reads it
    DashboardSnapshot.objects.all().delete()
    CoverageHistory.objects.all().delete()
    _grow(campaign, village_a, 40)
    cold_big = _queries(client)
    warm_big = _queries(client)
    assert cold_big == cold_small and warm_big == warm_small
    assert warm_big < cold_big
    with django_assert_max_num_queries(warm_small):
        client.get(URL)


# ---- drill-down --------------------------------------------------------------------------


def test_every_list_holds_exactly_the_households_counted(dataset, campaign):
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    checked = 0
    for row in [*data["villages"], {"id": None, "f": data["total"]}]:
        for key in sorted(dashboard_lists.drill_keys()):
            listed = Household.objects.filter(
                pk__in=dashboard_lists.household_ids(campaign, key, MID_CAMPAIGN)
            )
            if row["id"]:
                listed = listed.filter(village_id=row["id"])
            if key.startswith("exits_registry_persons"):  # persons → their households
                assert listed.count() <= row["f"][key]
                continue
            figure = row["f"][dashboard_lists.PERSON_TO_HOUSEHOLD_KEY.get(key, key)]
            assert listed.count() == figure, (key, row["id"])
            checked += figure > 0
    assert checked > 60


def test_drill_down_lists_the_households(dataset, village_a, office_user, client_for):
    response = client_for(office_user).get(
        "/dashboard/households/", {"key": "outreach_pending", "village": village_a.pk}
    )
    assert response.status_code == 200
    assert [h.pk for h in response.context["households"]] == [dataset["h3"].pk]
    html = response.content.decode()
    assert "未摸排的重点对象" in html and "保合村" in html


def test_drill_down_of_persons_lists_their_households(dataset, office_user, client_for):
    response = client_for(office_user).get("/dashboard/households/", {"key": "now_persons"})
    listed = {h.pk for h in response.context["households"]}
    assert listed == {dataset[k].pk for k in ("h1", "h5", "h6", "h8", "h9")}


def test_drill_down_export_is_the_pages_list(
    dataset, campaign, village_a, office_user, leader, client_for
):
    from io import BytesIO

    from openpyxl import load_workbook

    query = {"key": "now_persons", "campaign": campaign.pk}
    response = client_for(office_user).get("/dashboard/households/export/", query)
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    codes = {c.value for c in sheet["A"][1:]}
    assert codes == {dataset[k].code for k in ("h1", "h5", "h6", "h8", "h9")}
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:E{len(codes) + 1}"
    response = client_for(office_user).get(
        "/dashboard/households/export/", {"key": "outreach_pending", "village": village_a.pk}
    )
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active
    assert [c.value for c in sheet["A"][1:]] == [dataset["h3"].code]
    assert client_for(leader).get("/dashboard/households/export/", query).status_code == 403
    response = client_for(office_user).get("/dashboard/households/export/", {"key": "x"})
    assert response.status_code == 404


def test_unknown_figure_is_404(dataset, office_user, client_for):
    client = client_for(office_user)
    assert client.get("/dashboard/households/", {"key": "_recorded_3"}).status_code == 404
    assert client.get("/dashboard/households/", {"key": "nope"}).status_code == 404


def test_drill_down_is_scoped_to_the_users_households(dataset, client_for, campaign):
    # An office user of this township sees all; scoping comes from Household.objects.for_user.
    user = UserFactory(role="office", township=campaign.township)
    assert (
        len(client_for(user).get("/dashboard/households/", {"key": "cases"}).context["households"])
        == 8
    )


def test_drill_down_query_count_is_flat(dataset, campaign, village_a, office_user, client_for):
    client = client_for(office_user)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get("/dashboard/households/", {"key": "scope_current"})
        return len(ctx.captured_queries)

    small = count()
    _grow(campaign, village_a, 30)
    assert count() == small


# ---- export and 通报 ---------------------------------------------------------------------


def test_export_has_every_table_with_the_figures(dataset, leader, client_for):
    response = client_for(leader).get("/dashboard/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert "各环节进度" in book.sheetnames and "十二类重点人群排查" in book.sheetnames
    sheet = book["低保覆盖面（较2021年底）"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("村", "2021年底户数", "2021年底人数", "现有户数", "现有人数")
    assert rows[1][:5] == ("保合村", 3, 7, 2, 5)
    assert rows[3][:7] == ("全乡合计", 6, 12, 5, 9, -1, -3)
    progress = list(book["各环节进度"].iter_rows(values_only=True))
    assert progress[0][:5] == ("村", "应摸排", "已摸排", "已摸排比例", "核查对象")
    assert progress[3][:5] == ("全乡合计", 7, 6, pytest.approx(0.8571, abs=1e-4), 8)
    share = book["各环节进度"]["D4"]  # a ratio is a number shown as a percentage, not text
    assert share.data_type == "n" and share.number_format == "0.0%"
    assert book["各环节进度"]["B4"].number_format == "0"
    assert book["各环节进度"].freeze_panes == "A2"
    assert book["各环节进度"].auto_filter.ref == f"A1:{get_column_letter(len(progress[0]))}4"
    assert AuditEvent.objects.filter(kind="export", summary="导出进度看板统计表").count() == 1


def test_export_writes_formula_like_names_as_text(dataset, village_a, office_user, client_for):
    village_a.name = '=HYPERLINK("http://x")'
    village_a.save()
    DashboardSnapshot.objects.all().delete()
    response = client_for(office_user).get("/dashboard/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["各环节进度"]
    assert sheet["A2"].value == '=HYPERLINK("http://x")'  # kept as typed...
    assert sheet["A2"].data_type == "s"  # ...but as text, not a formula
    assert sheet["A2"].quotePrefix


def test_bulletin_names_lagging_villages_with_figures(dataset, leader, client_for):
    response = client_for(leader).get("/dashboard/bulletin/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "关于洗新乡低保扩面扩围工作进展情况的通报" in html
    assert "截至2022年11月10日" in html
    assert "（一）摸排进度滞后。保合村（应摸排4户，已摸排3户，完成率75.0%，尚有1户未摸排）" in html
    assert "核查进度滞后。保合村（核查对象4户，完成核查2户，完成率50.0%，尚有2户待核查）" in html
    assert "万寿村（2021年底低保3户5人，现有3户4人，较2021年底户数持平、人数减少1人）" in html
    assert "较2021年底减少1户3人" in html
    assert "“滞后”的判定规则" in html and "低于全乡平均" in html


def test_bulletin_pdf(dataset, office_user, client_for):
    from pypdf import PdfReader

    response = client_for(office_user).get("/dashboard/bulletin.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "关于洗新乡低保扩面扩围工作进展情况的通报" in text.replace("\n", "")
    assert "保合村" in text and "2022年11月10日" in text
    assert AuditEvent.objects.filter(kind="print").exists()


def test_refresh_task_writes_snapshot_and_one_history_row_a_day(dataset, campaign):
    from xixin_dibao.tasks import refresh_dashboard

    Campaign.objects.create(
        name="旧方案",
        year=2021,
        township=campaign.township,
        is_active=False,
        dibao_standard_monthly=515,
        marginal_multiplier=1.5,
        outreach_deadline=date(2021, 11, 1),
        verification_cutoff=date(2021, 11, 20),
    )
    assert refresh_dashboard.delay().get() == 1
    assert refresh_dashboard() == 1
    history = CoverageHistory.objects.get(campaign=campaign)
    assert (history.day, history.dibao_households, history.dibao_persons) == (MID_CAMPAIGN, 5, 9)
    member = MemberFactory(household=HouseholdFactory(village=dataset["h1"].village))
    AssistanceRecord.objects.create(member=member, kind="dibao", start_date=date(2022, 11, 9))
    refresh_dashboard(campaign.pk)
    history.refresh_from_db()
    assert (history.dibao_households, history.dibao_persons) == (6, 10)
    assert DashboardSnapshot.objects.get().data["total"]["now_persons"] == 10
