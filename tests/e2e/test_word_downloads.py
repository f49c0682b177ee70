"""Issue 20.10/20.13: the Word (.docx) files download from the pages, beside the PDFs."""

import io
from datetime import date

import pytest
from docx import Document

from tests.dashboard.conftest import dataset, today  # noqa: F401  (fixtures)
from tests.e2e.test_director_journey import download
from tests.verification.factories import DecisionFactory, bulletin_draft, make_case, refusal_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def download_docx(j, link):
    """Click the link; the browser saves a .docx, which python-docx opens."""
    name, data = download(j, link)
    return name, Document(io.BytesIO(data))


def texts(document):
    return [p.text for p in document.paragraphs if p.text.strip()]


def test_leader_downloads_the_bulletin_as_word(journey, dataset, leader):  # noqa: F811
    j = journey()
    j.login("leader")
    page = j.go("/dashboard/bulletin/")
    link = page.get_by_role("link", name="下载Word版(.docx)")
    assert link.is_visible()
    j.shot("bulletin-with-word-link")
    name, document = download_docx(j, link)
    assert name == "工作进展情况通报_20221110.docx"
    lines = texts(document)
    assert lines[0] == "关于洗新乡低保扩面扩围工作进展情况的通报"
    assert "洗新乡低保扩面扩围工作领导小组办公室" in lines and "2022年11月10日" in lines
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert [r[0] for r in rows] == ["村", "保合村", "万寿村", "全乡合计"]
    # The page and the file say the same: each paragraph of the file is on the page.
    shown = page.locator("article.doc").inner_text().replace("\n", "")
    for line in lines:
        assert line in shown, line


def test_officer_downloads_the_notices_of_a_household_as_word(
    journey, campaign, village_a, officer_a, settings
):
    settings.APP_TODAY = date(2022, 11, 10)
    refused = make_case(village_a, campaign, state="refused")
    refusal_for(refused, details="拒绝签署核查授权书")
    rejected = make_case(village_a, campaign, state="reviewed")
    DecisionFactory(
        case=rejected,
        decision="reject",
        notice_number="洗民不符告〔2022〕9号",
        reasons="家庭有小轿车一辆",
    )
    j = journey()
    j.login("officer_a")

    page = j.go(f"/verification/cases/{refused.pk}/")
    link = page.locator("dd").get_by_role("link", name="下载Word版(.docx)")
    j.shot("refusal-case-with-word-link")
    name, document = download_docx(j, link)
    head = refused.household.head_name
    assert name == f"书面告知书-{head}-20221110.docx"
    lines = texts(document)
    assert lines[0] == "拒不配合家庭经济状况核查告知书"
    assert f"{head}户（保合村）：" in lines and "回　执" in lines

    page = j.go(f"/verification/cases/{rejected.pk}/")
    link = page.get_by_role("link", name="下载Word版(.docx)")
    j.shot("decision-case-with-word-link")
    name, document = download_docx(j, link)
    assert name == f"不符合条件告知书-{rejected.household.head_name}-20221110.docx"
    lines = texts(document)
    assert lines[:2] == ["不符合条件告知书", "洗民不符告〔2022〕9号"]
    assert "家庭有小轿车一辆" in lines and "洗新乡人民政府（盖章）" in lines


def test_office_downloads_the_deadline_bulletin_draft_as_word(journey, campaign, office_user):
    bulletin_draft(
        campaign,
        "各村民委员会：\n截至2022年11月3日，全乡应摸排2户，已完成1户。\n请保合村立即完成。"
        "\n\n洗新乡低保扩面扩围工作领导小组办公室\n2022年11月3日",
    )
    j = journey()
    j.login("office")
    page = j.go("/verification/deadlines/bulletin/")
    link = page.get_by_role("link", name="下载Word版(.docx)")
    j.shot("draft-with-word-link")
    name, document = download_docx(j, link)
    assert name.startswith("通报草稿-") and name.endswith(".docx")
    lines = texts(document)
    assert lines[0] == "关于摸排工作进展情况的通报（草稿）"
    assert lines[-3:] == [
        "洗新乡低保扩面扩围工作领导小组办公室",
        "2022年11月3日",
        "附件：各村摸排情况（截止日数据）",
    ]
    assert [c.text for c in document.tables[0].rows[1].cells] == ["保合村", "2", "1", "1", "50.0%"]
