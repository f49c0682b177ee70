"""The compiled dossier: contents list pages, filing order, fonts, size, scans."""

import gc
import re
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from archives.compile import compile_dossier
from archives.documents import Doc, sort_documents
from archives.models import Group
from archives.pdf import html_document
from archives.services import add_scan

from .factories import RARE_NAMES, household_with_members, image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(BytesIO(pdf)).pages]


def fake_verification(monkeypatch, items):
    """Stand in for the documents the verification app files for a household.

    Only household_documents is replaced: the rest of verification.services stays real (its
    template tags import from it when the first template renders).
    """
    from verification import services

    monkeypatch.setattr(services, "household_documents", lambda household: items)


def rendered(title: str, pages: int = 1):
    body = "".join(
        f'<section style="break-before: page"><h1>{title}</h1></section>' for _ in range(pages)
    )
    return lambda: html_document(
        f'<body style="font-family: Noto Sans CJK SC">{body}</body>'
    ).write_pdf()


def assert_pages_numbered(texts: list[str]) -> None:
    """Every page after the cover carries its own number (the last line WeasyPrint drew)."""
    for number, text in enumerate(texts[1:], start=2):
        assert str(number) in text.splitlines(), (number, text)


def assert_contents_list_matches(compiled, texts: list[str]) -> None:
    """The 卷内目录 printed in the PDF names, for every document, the page that carries it."""
    front_pages = compiled.toc[0]["start_page"] - 1
    toc_text = " ".join(" ".join(texts[1:front_pages]).split())
    assert "卷内目录" in toc_text
    for row in compiled.toc:
        # the page the contents list names carries the document's title
        assert row["title"] in texts[row["start_page"] - 1], row
        # and the contents list printed in the PDF names that same page
        printed = re.search(re.escape(row["title"]) + r" (?:\d{4}-\d{2}-\d{2} )?(\d+)", toc_text)
        assert printed and int(printed.group(1)) == row["start_page"], (row, toc_text)


def test_contents_list_page_numbers_match_the_pdf(monkeypatch, village_a, office_user):
    household = household_with_members(village_a)
    fake_verification(
        monkeypatch,
        [
            {
                "kind": "home_visit",
                "title": "入户调查表",
                "doc_number": "",
                "responsible": "保合村",
                "date": date(2022, 11, 10),
                "render": rendered("入户调查表", pages=2),
            },
            {
                "kind": "data_match",
                "title": "信息比对报告",
                "doc_number": "石民核〔2022〕8号",
                "responsible": "县民政局",
                "date": date(2022, 11, 5),
                "render": rendered("信息比对报告"),
            },
        ],
    )
    add_scan(
        household=household,
        actor=office_user,
        upload=upload("a.pdf", pdf_bytes(pages=3)),
        kind="id_copy",
        title="身份证户口簿复印件",
        date=date(2022, 10, 30),
    )
    add_scan(
        household=household,
        actor=office_user,
        upload=upload("b.png", image_bytes()),
        kind="lookback",
        title="回头看复核记录",
        date=date(2023, 3, 1),
        group="later",
    )

    compiled = compile_dossier(household)
    texts = page_texts(compiled.pdf)

    assert len(texts) == compiled.page_count
    assert compiled.toc[0]["start_page"] == 3  # the cover, then a one-page 卷内目录
    assert_contents_list_matches(compiled, texts)
    assert_pages_numbered(texts)
    assert f"共 {compiled.page_count} 页" in texts[0]
    pages = {row["title"]: row["page_count"] for row in compiled.toc}
    assert pages["身份证户口簿复印件"] == 3
    assert pages["入户调查表"] == 2
    assert pages["回头看复核记录"] == 1


def test_contents_list_over_several_pages_numbers_the_documents_after_it(monkeypatch, village_a):
    household = household_with_members(village_a)
    fake_verification(
        monkeypatch,
        [
            {
                "kind": "home_visit",
                "title": f"走访记录第{i:02d}号",
                "doc_number": "",
                "responsible": "保合村",
                "date": date(2022, 11, 1 + i % 28),
                "html": f"<h1>走访记录第{i:02d}号</h1><p>走访情况属实。</p>",
            }
            for i in range(60)
        ],
    )

    compiled = compile_dossier(household)
    texts = page_texts(compiled.pdf)

    assert len(texts) == compiled.page_count == 1 + 2 + 62
    assert compiled.toc[0]["start_page"] == 4  # the 卷内目录 took two pages
    assert_contents_list_matches(compiled, texts)
    assert_pages_numbered(texts)


def test_compiling_leaves_the_garbage_collector_on(monkeypatch, village_a):
    """Layout pauses Python's cyclic GC; a worker must get it back, even when a build fails."""
    household = household_with_members(village_a)
    compile_dossier(household)
    assert gc.isenabled()

    def broken(*args):
        raise RuntimeError("layout failed")

    monkeypatch.setattr("archives.compile.lay_out", broken)
    with pytest.raises(RuntimeError):
        compile_dossier(household)
    assert gc.isenabled()


def _doc(key, kind, group, day, order):
    return Doc(key=key, kind=kind, title=key, group=group, date=day, order=order)


def test_sort_puts_approval_set_first_then_later_material_by_date():
    docs = [
        _doc("exit", "exit", Group.LATER, date(2023, 6, 1), 160),
        _doc("visit", "home_visit", Group.APPROVAL, date(2022, 11, 10), 70),
        _doc("change", "change", Group.LATER, date(2023, 1, 5), 140),
        _doc("application", "application", Group.APPROVAL, date(2022, 11, 20), 10),
        _doc("lookback", "lookback", Group.LATER, date(2022, 12, 1), 150),
        _doc("id", "id_copy", Group.APPROVAL, date(2022, 10, 1), 30),
    ]
    keys = [d.key for d in sort_documents(docs)]
    # approval papers in filing order (not by date), then later material oldest first
    assert keys == ["application", "id", "visit", "lookback", "change", "exit"]


def test_uploaded_later_material_files_after_the_approval_set(village_a, office_user):
    household = household_with_members(village_a)
    add_scan(
        household=household,
        actor=office_user,
        upload=upload("x.png", image_bytes()),
        kind="exit",
        title="停发通知",
        date=date(2023, 5, 1),
        group="later",
    )
    add_scan(
        household=household,
        actor=office_user,
        upload=upload("x.png", image_bytes()),
        kind="change",
        title="减发审批表",
        date=date(2023, 2, 1),
        group="later",
    )
    add_scan(
        household=household,
        actor=office_user,
        upload=upload("x.png", image_bytes()),
        kind="id_copy",
        title="身份证复印件",
        date=date(2023, 6, 1),
        group="approval",
    )

    titles = [row["title"] for row in compile_dossier(household).toc]

    assert titles == [
        "家庭基本情况及申请登记表",
        "身份证复印件",
        "家庭收入核算说明",
        "减发审批表",
        "停发通知",
    ]


def test_campaign_papers_of_a_household_already_on_the_roll_are_later_material(village_a):
    household = household_with_members(village_a, referral_source="existing")
    groups = {row["title"]: row["group"] for row in compile_dossier(household).toc}
    assert groups["家庭基本情况及申请登记表"] == Group.LATER


def embedded_fonts(pdf: bytes):
    """Every font program embedded in the PDF, opened with fontTools."""
    from fontTools.ttLib import TTFont

    fonts = []
    for page in PdfReader(BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile3", "/FontFile2"):
                    if key in descriptor:
                        fonts.append(TTFont(BytesIO(descriptor[key].get_object().get_data())))
    return fonts


def test_rare_name_characters_have_real_glyphs(village_a):
    from fontTools.pens.boundsPen import BoundsPen

    household = household_with_members(village_a, names=RARE_NAMES)
    compiled = compile_dossier(household)

    text = "".join(page_texts(compiled.pdf))
    for name in RARE_NAMES:
        assert name in text
    fonts = embedded_fonts(compiled.pdf)
    assert fonts
    for char in "堃喆玥犇淼䶮":
        drawn = False
        for font in fonts:
            glyph = (font.getBestCmap() or {}).get(ord(char))
            if glyph and font.getGlyphID(glyph) != 0:
                pen = BoundsPen(font.getGlyphSet())
                font.getGlyphSet()[glyph].draw(pen)
                drawn = drawn or pen.bounds is not None
        assert drawn, f"{char} has no real glyph in the embedded fonts"


@pytest.mark.parametrize("delivery", ["html", "render"])
def test_text_only_dossier_is_under_one_megabyte(monkeypatch, village_a, delivery):
    household = household_with_members(
        village_a, names=["张三", "李四", "王五", "赵六", *RARE_NAMES]
    )
    papers = [
        ("data_match", "信息比对报告", 5),
        ("home_visit", "入户调查表", 10),
        ("review_meeting", "集体研究审核记录", 18),
        ("public_notice", "张榜公示记录", 25),
    ]
    items = []
    for kind, title, day in papers:
        item = {
            "kind": kind,
            "title": title,
            "doc_number": "",
            "responsible": "洗新乡民政办",
            "date": date(2022, 11, day),
        }
        body = "核查情况说明：家庭成员收入、财产、支出情况经比对无异常。" * 12
        if delivery == "html":
            item["html"] = f"<h1>{title}</h1><p>{body}</p>"
        else:
            item["render"] = rendered(title + body)
        items.append(item)
    fake_verification(monkeypatch, items)

    compiled = compile_dossier(household)

    assert compiled.page_count >= 6
    assert len(compiled.pdf) < 1_000_000, len(compiled.pdf)
    if delivery == "html":  # one layout pass, one font subset: far below the limit
        assert len(compiled.pdf) < 500_000, len(compiled.pdf)


def test_real_screening_and_verification_papers_are_filed(village_a, campaign):
    """With the screening and verification apps: the verdict explained, their papers in order."""
    from screening.services import screen_household
    from tests.verification.factories import (
        CaseFactory,
        DataMatchFactory,
        DecisionFactory,
        notice_for,
    )

    household = household_with_members(village_a, names=["王堃", "王喆"])
    result = screen_household(household_id=household.pk)
    assert result is not None
    case = CaseFactory(household=household, campaign=campaign)
    for member in household.members.all():
        DataMatchFactory(case=case, member=member)
    decision = DecisionFactory(case=case)
    notice_for(case, decision)

    compiled = compile_dossier(household)
    texts = page_texts(compiled.pdf)

    # their papers are laid out inline: one font subset for the whole dossier
    assert len(compiled.pdf) < 600_000, len(compiled.pdf)
    titles = [row["title"] for row in compiled.toc]
    assert titles[:2] == ["家庭基本情况及申请登记表", "家庭收入核算说明"]
    assert {"家庭经济状况信息比对结果", "集体研究审核记录（摘录）", "保合村张榜公示"} <= set(titles)
    income_page = texts[
        next(r["start_page"] for r in compiled.toc if r["kind"] == "income_computation") - 1
    ]
    assert result.get_outcome_display() in income_page and "判定依据" in income_page
    # their PDFs word their headings a little differently from their titles: check a key word
    key_words = {
        "application": "家庭基本情况",
        "income_computation": "家庭收入核算",
        "data_match": "比对",
        "review_meeting": "集体研究",
        "public_notice": "公示",
    }
    for row in compiled.toc:
        assert key_words[row["kind"]] in texts[row["start_page"] - 1], row
