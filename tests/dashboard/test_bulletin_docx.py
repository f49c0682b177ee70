"""Issue 20.10: the 通报 as .docx, the same wording and table as its PDF."""

from urllib.parse import quote

import pytest

from tests.documents import assert_same_wording, docx_document, docx_table_rows, east_asian_font
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_bulletin_docx_says_what_the_pdf_says(dataset, office_user, client_for):
    client = client_for(office_user)
    word = client.get("/dashboard/bulletin.docx")
    pdf = client.get("/dashboard/bulletin.pdf")
    assert word.status_code == 200 and pdf.status_code == 200
    assert word["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('工作进展情况通报_20221110.docx')}"
    )
    paragraphs = assert_same_wording(word.content, pdf.content)
    assert paragraphs[0] == "关于洗新乡低保扩面扩围工作进展情况的通报"
    assert "（一）摸排进度滞后。保合村（应摸排4户，已摸排3户，完成率75.0%，尚有1户未摸排）。" in (
        paragraphs
    )
    sign = paragraphs.index("洗新乡低保扩面扩围工作领导小组办公室")
    assert paragraphs[sign - 1 : sign + 2] == [
        "附件：各村工作进展情况统计表",
        "洗新乡低保扩面扩围工作领导小组办公室",
        "2022年11月10日",
    ]
    rows = docx_table_rows(word.content)
    assert rows[0][:4] == ["村", "应摸排", "已摸排", "摸排完成率"]
    assert [r[0] for r in rows[1:]] == ["保合村", "万寿村", "全乡合计"]
    assert rows[1][1:4] == ["4", "3", "75.0%"]
    assert rows[2][9] == "-1"  # 万寿村 lost a person since 2021 (the PDF prints it red)
    document = docx_document(word.content)
    headings = [p for p in document.paragraphs if p.text in ("一、总体进展", "二、存在的问题")]
    assert [east_asian_font(p) for p in headings] == ["黑体", "黑体"]
    body, annex = document.sections  # the 11-column table on its own landscape pages
    assert body.page_width < body.page_height and annex.page_width > annex.page_height
    assert AuditEvent.objects.filter(kind="print", summary="下载工作进展情况通报Word版").exists()


def test_leadership_downloads_it_and_village_officers_do_not(
    dataset, leader, officer_a, client_for
):
    assert client_for(leader).get("/dashboard/bulletin.docx").status_code == 200
    response = client_for(officer_a).get("/dashboard/bulletin.docx")
    assert response.status_code == 302 and not response.has_header("Content-Disposition")


def test_the_bulletin_page_links_the_word_file(dataset, leader, client_for):
    html = client_for(leader).get("/dashboard/bulletin/").content.decode()
    assert "下载Word版(.docx)" in html and "/dashboard/bulletin.docx?campaign=" in html


def test_bulletin_signature_keeps_its_last_paragraph_in_the_pdf():
    """Issue 20.11: as the problems grow, the 落款 moves with 三、下步要求 and the 附件 line."""
    from datetime import date

    from archives.pdf import render_pdf
    from xixin_dibao import bulletin

    from ..documents import page_holding, spill_point
    from .test_bulletin import data

    def render(villages):
        d = data(*[{"outreach_due": 10, "outreach_done": 5}] * villages)
        context = bulletin.bulletin_context(d, date(2022, 11, 25)) | {"campaign": None}
        return render_pdf("dashboard/bulletin_pdf.html", context)

    marker = "洗新乡低保扩面扩围工作领导小组办公室"
    page = page_holding(spill_point(render, 1, 40, marker), marker)
    assert "予以严肃问责。附件：各村工作进展情况统计表洗新乡低保扩面扩围工作领导小组办公室" in page
