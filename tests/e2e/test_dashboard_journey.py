"""A leadership member opens the dashboard, reads the figures and cannot change anything."""

import unicodedata

import pytest

from tests.dashboard.conftest import dataset, today  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_leader_reads_dashboard_and_cannot_change_anything(journey, dataset, leader):  # noqa: F811
    j = journey()
    page = j.login("leader")
    assert page.url.rstrip("/").endswith("/dashboard")
    page.wait_for_selector("h1:has-text('低保扩面扩围工作进度看板')")
    j.shot("dashboard")

    # Known figures from the hand-counted township (tests/dashboard/conftest.py).
    def cell(key, village="total"):
        return page.locator(f"td[data-key='{key}'][data-village='{village}']").first

    assert cell("outreach_done").inner_text() == "6 85.7%"  # with its share of 应摸排
    assert cell("outreach_due").inner_text() == "7"
    assert cell("now_persons").inner_text() == "9"
    assert "below" in cell("now_persons").get_attribute("class")  # 9 < 12 at end-2021: red
    assert "85.7%" in page.locator("#card-outreach").inner_text()
    assert "数据更新于" in page.locator("#computed-at").inner_text()
    assert page.locator("svg.chart").count() == 3

    # Read-only: no drill-down links to household lists, no form but the logout one.
    assert page.locator("a[href*='/dashboard/households/']").count() == 0
    forms = page.locator("main form")
    assert forms.count() == 0
    assert page.locator("form").count() == 1
    assert "logout" in page.locator("form").first.get_attribute("action")
    assert page.locator("main button, main input[type=submit]").count() == 0

    # The 通报 is readable too.
    page.goto(j.base + "/dashboard/bulletin/")
    assert "关于洗新乡低保扩面扩围工作进展情况的通报" in page.content()
    assert "摸排进度滞后" in page.content()
    j.shot("bulletin")

    page.emulate_media(media="print")
    page.goto(j.base + "/dashboard/")
    assert not page.locator(".toolbar").first.is_visible()
    j.shot("dashboard-print")
    pdf = j.folder / "dashboard-a4.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    assert 1 <= len(reader.pages) <= 6
    assert abs(float(reader.pages[0].mediabox.width) - 595) < 2  # A4 portrait, in points
    text = unicodedata.normalize("NFKC", reader.pages[0].extract_text())  # CJK radical forms
    assert "低保扩面扩围工作进度看板" in text

    # A POST to the refresh URL (with a valid CSRF token from the session) answers 403.
    token = next(c["value"] for c in j.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        j.base + "/dashboard/refresh/",
        headers={"X-CSRFToken": token, "Referer": j.base + "/dashboard/"},
    )
    assert response.status == 403
    response = page.request.get(j.base + "/dashboard/households/?key=outreach_done")
    assert response.status == 403


def test_office_drills_down_from_a_figure_to_the_households(journey, dataset, office_user):  # noqa: F811
    j = journey()
    page = j.login("office")
    page.goto(j.base + "/dashboard/")
    link = page.locator("td[data-key='outreach_pending'][data-village='total'] a")
    assert link.inner_text() == "1"
    link.click()
    page.wait_for_load_state()
    j.shot("drill-down")
    assert "未摸排的重点对象" in page.content()
    assert page.locator("table.data tbody tr").count() == 1
    assert dataset["h3"].code in page.content()
