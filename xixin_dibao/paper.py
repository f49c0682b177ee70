"""A printed document's wording as data, rendered both to PDF (WeasyPrint) and to .docx.

The wording is written once, in the context function of each document; the PDF template
(templates/pdf/_paper.html) and `to_docx` only lay it out. `closing` holds the last paragraph(s),
printed together with the 落款 (`signature`) so a signature never sits alone on a page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

# Block kinds: para (first line indented two characters), flat (not indented), right, center
# (a small centred heading such as 回执), heading (一、二、…), box (framed text kept as typed),
# cut (a dashed tear-off line with its note), note (small print).
KINDS = frozenset({"para", "flat", "right", "center", "heading", "box", "cut", "note"})

BODY_FONT = "仿宋"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"


@dataclass(frozen=True)
class Block:
    text: str
    kind: str = "para"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")


@dataclass(frozen=True)
class Cell:
    text: str
    css: str = ""  # "num" right-aligns, "below" marks a figure under its baseline


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    total: bool = False


@dataclass(frozen=True)
class Annex:
    """An attachment starting on a new page: a heading, a table and notes under it."""

    title: str
    header: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[Block, ...] = ()


@dataclass(frozen=True)
class Paper:
    title: str
    body: tuple[Block, ...]
    closing: tuple[Block, ...]
    signature: tuple[str, ...]
    after: tuple[Block, ...] = ()  # under the 落款: a sign-for line, a tear-off receipt
    annex: Annex | None = None
    number: str = ""  # 文号, right-aligned under the title

    @property
    def signed_under(self) -> tuple[Block, ...]:
        """The blocks under the 落款 that belong to it (a sign-for line), kept on its page."""
        kinds = [b.kind for b in self.after]
        return self.after[: kinds.index("cut")] if "cut" in kinds else self.after

    @property
    def tear_off(self) -> tuple[Block, ...]:
        """From a cut line on: a receipt printed whole, on the page where it fits."""
        return self.after[len(self.signed_under) :]


def _font(run, name: str, size_pt: float, *, bold=False, color=None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = LATIN_FONT
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    fonts = run.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _paragraph(doc, text: str, *, kind="para", font=BODY_FONT, size=16, keep=False):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(0), Pt(28)
    fmt.widow_control = True
    fmt.keep_with_next = keep
    if kind == "para":
        fmt.first_line_indent = Pt(size * 2)
    elif kind == "right":
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    elif kind == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if kind == "heading":
        font = HEADING_FONT
    if kind in ("cut", "note"):
        size = 10.5 if kind == "note" else 10
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER if kind == "cut" else None
        fmt.line_spacing = Pt(18)
        if kind == "cut":
            fmt.space_before, fmt.space_after = Pt(18), Pt(12)
    for i, line in enumerate(text.split("\n")):
        if i:
            p.add_run().add_break()
        _font(p.add_run(line), font, size)
    if kind == "box":  # the written reasons, framed as in the PDF
        _border(p, ("top", "left", "bottom", "right"), "single")
    elif kind == "cut":  # the tear-off line above the receipt
        _border(p, ("top",), "dashed")
    return p


def _border(paragraph, sides: tuple[str, ...], line: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:pBdr")
    for side in sides:
        edge = OxmlElement(f"w:{side}")
        for key, value in (("val", line), ("sz", "4"), ("space", "4"), ("color", "333333")):
            edge.set(qn(f"w:{key}"), value)
        borders.append(edge)
    paragraph._p.get_or_add_pPr().append(borders)


def _table(doc, annex: Annex) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    table = doc.add_table(rows=1, cols=len(annex.header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, annex.header, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(text), HEADING_FONT, 9)
    for row in annex.rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row.cells, strict=True):
            if "num" in value.css:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            below = "below" in value.css
            run = cell.paragraphs[0].add_run(value.text)
            _font(run, BODY_FONT, 9, bold=row.total or below, color="C0392B" if below else None)


def _annex_section(doc, *, wide: bool) -> None:
    """The annex starts a new page; a wide table gets a landscape one."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    section = doc.add_section(WD_SECTION.NEW_PAGE)
    if wide:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
        section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = (
            section.left_margin
        )


def to_docx(paper: Paper) -> bytes:
    """The paper as an A4 Word document: 仿宋 body, 小标宋 title, 黑体 headings (GB/T 9704)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT, 16)
    doc.core_properties.title = paper.title

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(12)
    _font(title.add_run(paper.title), TITLE_FONT, 22)
    if paper.number:
        _paragraph(doc, paper.number, kind="right")
    for block in paper.body:
        _paragraph(doc, block.text, kind=block.kind, keep=block.kind == "heading")
    # As in the PDF's .keep blocks: Word's "keep with next" holds the closing paragraph, the
    # 落款 and what is signed under it on one page, and the tear-off receipt whole.
    kept = [*paper.closing, Block("", "flat"), *(Block(x, "right") for x in paper.signature)]
    for group in ([*kept, *paper.signed_under], paper.tear_off):
        for i, block in enumerate(group):
            size = 12 if block in paper.after else 16  # blanks to fill in by hand fit a line
            _paragraph(doc, block.text, kind=block.kind, size=size, keep=i < len(group) - 1)

    if paper.annex:
        _annex_section(doc, wide=len(paper.annex.header) > 6)
        _paragraph(doc, paper.annex.title, kind="flat", font=HEADING_FONT, size=14, keep=True)
        _table(doc, paper.annex)
        for block in paper.annex.notes:
            _paragraph(doc, block.text, kind="note", size=10.5)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_response(data: bytes, filename: str):
    """A download of .docx bytes, the Chinese file name in RFC 5987 `filename*`."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    response = HttpResponse(data, content_type=DOCX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
