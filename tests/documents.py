"""Read generated documents back: .docx with python-docx, PDF with pypdf."""

import io
import re

from docx import Document
from pypdf import PdfReader

SPACE = re.compile(r"\s+")


def squeeze(text: str) -> str:
    """Text without any whitespace: pypdf breaks CJK lines and spaces where the layout did."""
    return SPACE.sub("", text)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def docx_document(data: bytes):
    return Document(io.BytesIO(data))


def docx_paragraphs(data: bytes) -> list[str]:
    """Every non-empty paragraph of the body, in order (table cells not included)."""
    return [p.text for p in docx_document(data).paragraphs if p.text.strip()]


def docx_table_rows(data: bytes) -> list[list[str]]:
    return [[c.text for c in row.cells] for t in docx_document(data).tables for row in t.rows]


def assert_same_wording(docx: bytes, pdf: bytes) -> list[str]:
    """Every paragraph and table cell of the .docx is printed, in that order, in the PDF."""
    printed = squeeze("".join(pdf_pages(pdf)))
    position = 0
    paragraphs = docx_paragraphs(docx)
    for text in paragraphs:
        found = printed.find(squeeze(text), position)
        assert found >= 0, f"not in the PDF (after position {position}): {text}"
        position = found
    for row in docx_table_rows(docx):
        assert squeeze("".join(row)) in printed, row
    return paragraphs


def east_asian_font(paragraph) -> str:
    """The w:eastAsia font of the paragraph's first run."""
    from docx.oxml.ns import qn

    fonts = paragraph.runs[0].element.rPr.rFonts
    return fonts.get(qn("w:eastAsia"))


def spill_point(render, lo: int, hi: int, marker: str) -> list[str]:
    """The pages (squeezed text) of render(n) for the smallest n in [lo, hi] that no longer
    prints `marker` on the first page: the length at which it is first pushed onto a new page,
    and where a 落款 printed without its paragraph would sit alone.
    """
    marker = squeeze(marker)

    def spilled(n):
        pages = [squeeze(page) for page in pdf_pages(render(n))]
        return marker not in pages[0], pages

    assert not spilled(lo)[0], "the shortest document must print the marker on page 1"
    assert spilled(hi)[0], "the longest document must push the marker to a later page"
    pages = spilled(hi)[1]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        moved, mid_pages = spilled(mid)
        if moved:
            hi, pages = mid, mid_pages
        else:
            lo = mid
    return pages


def page_holding(pages: list[str], text: str) -> str:
    """The last page on which `text` is printed."""
    found = [page for page in pages if squeeze(text) in page]
    assert found, f"{text} is not printed"
    return found[-1]
