"""Compile a household's dossier PDF: cover, 卷内目录 and every document in filing order.

The documents are laid out first, then the cover and 卷内目录 with the page numbers read off that
layout (the numbers stored in Dossier.toc); both go into one PDF, so the fonts are subset once.
CSS target-counter() would find the same numbers but makes WeasyPrint lay the first pages out
three times. Scans and finished PDFs from other apps get placeholder pages in the layout and are
drawn onto them with pypdf afterwards, so the numbers stay right whichever way the pages come.
"""

import gc
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from households.models import Household
from verification.scans import ScanError, scan_as_pdf

from .documents import Doc, collect_documents, fingerprint
from .pdf import render_document, render_html

logger = logging.getLogger(__name__)

# Bump when the dossier templates change in a way that should rebuild every dossier.
LAYOUT_VERSION = "1"
MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
# Where a scan is drawn on its placeholder page: inside the page margins (20/18/18/18 mm, as in
# templates/pdf/dossier/dossier.html) and below the 10 mm title line.
SCAN_BOX = (18 * MM, 18 * MM, 192 * MM, (297 - 20 - 10) * MM)
FULL_BOX = (0, 0, *A4)
FRONT_PAGES = 2  # the cover and a one-page 卷内目录; only a dossier of very many documents has more


@dataclass
class Compiled:
    pdf: bytes
    signature: str
    page_count: int
    toc: list[dict]


def content_signature(household: Household, context: dict, docs: list[Doc]) -> str:
    """A fingerprint of everything the compiled PDF shows: it changes when any content changes."""
    cover = [
        household.code,
        household.head_name,
        household.address,
        str(household.village),
        str(household.group or ""),
        sorted({a.kind for a in context["current_assistance"]}),
    ]
    rows = [
        [
            d.key,
            d.kind,
            d.title,
            d.doc_number,
            d.responsible,
            d.date,
            d.group,
            d.note,
            d.fingerprint,
        ]
        for d in docs
    ]
    return fingerprint(LAYOUT_VERSION, cover, rows)


def scan_pdf(path: Path) -> tuple[bytes, int]:
    """A stored scan as PDF and its pages, checked in a limited child process (issue 19.2)."""
    return scan_as_pdf(path)


def pdf_page_count(data: bytes) -> int:
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    if reader.is_encrypted:
        raise ValueError("加密的PDF")
    return len(reader.pages)


def _prepare_external(docs: list[Doc]) -> None:
    """Render other apps' PDFs and read scans, so their page counts are known before layout."""
    for doc in docs:
        if doc.is_inline:
            continue
        try:
            if doc.render:
                doc.pdf = doc.render()
                doc.page_count = pdf_page_count(doc.pdf)
            else:
                doc.pdf, doc.page_count = scan_pdf(doc.file_path)
        except ScanError as exc:
            # A bad scan never stops the dossier or its batch: it gets a placeholder and a note.
            logger.warning("dossier document %s skipped: %s", doc.key, exc)
            _skip(doc, f"扫描件未编入：{exc}")
        except Exception:
            logger.exception("dossier document %s could not be read", doc.key)
            _skip(doc, "文件无法读取，请核对原件")


def _skip(doc: Doc, note: str) -> None:
    doc.pdf, doc.page_count = None, 1
    doc.note = "；".join(filter(None, [doc.note, note]))


def _fit(page, box):
    """The transformation that fits `page` into `box`, centred horizontally, top-aligned."""
    from pypdf import Transformation

    x0, y0, x1, y1 = box
    llx, lly, urx, ury = (float(v) for v in page.mediabox)
    width, height = urx - llx, ury - lly
    scale = min((x1 - x0) / width, (y1 - y0) / height)
    dx = x0 + ((x1 - x0) - width * scale) / 2
    dy = y1 - height * scale
    return Transformation().translate(-llx, -lly).scale(scale, scale).translate(dx, dy)


def _merge_external(pdf: bytes, docs: list[Doc], pages: dict[str, int]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    for n, doc in enumerate(docs, start=1):
        if not doc.pdf:
            continue
        # Pages of a writer (not a reader) so pypdf may rewrite a rotated page's content.
        for i, source in enumerate(PdfWriter(clone_from=BytesIO(doc.pdf)).pages, start=1):
            target = writer.pages[pages[f"p-{n}-{i}"]]
            if source.rotation:
                source.transfer_rotation_to_content()
            target.merge_transformed_page(
                source, _fit(source, SCAN_BOX if doc.is_scan else FULL_BOX)
            )
            target.compress_content_streams()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _first_pages(document) -> dict[str, int]:
    """Anchor id -> index of the first page it appears on."""
    pages = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            pages.setdefault(anchor, index)
    return pages


def _toc(docs: list[Doc], pages: dict[str, int], total: int) -> list[dict]:
    starts = [pages[f"doc-{n}"] + 1 for n in range(1, len(docs) + 1)]
    rows = []
    for n, doc in enumerate(docs, start=1):
        end = starts[n] - 1 if n < len(docs) else total
        rows.append(
            {
                "seq": n,
                "key": doc.key,
                "kind": doc.kind,
                "group": doc.group,
                "source": doc.source,
                "doc_number": doc.doc_number,
                "responsible": doc.responsible,
                "title": doc.title,
                "date": doc.date.isoformat() if doc.date else "",
                "start_page": starts[n - 1],
                "end_page": end,
                "page_count": end - starts[n - 1] + 1,
                "note": doc.note,
            }
        )
    return rows


def dossier_plan(household: Household) -> tuple[dict, list[Doc], str]:
    """The context, the ordered documents and the content signature (no PDF rendering)."""
    context, docs = collect_documents(household)
    return context, docs, content_signature(household, context, docs)


@contextmanager
def _young_garbage_only():
    """Pause Python's cyclic GC while a dossier is laid out, then sweep the young objects once.

    Layout keeps ~10^5 objects alive until the PDF is written; with the GC running they are
    promoted and set off repeated full collections of the whole worker (~0.05 s of CPU a
    dossier, measured). Reference counting still frees everything acyclic meanwhile, and the
    young generations hold all the dossier left behind: no need to walk the whole worker again.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            gc.collect(1)


def compile_dossier(household: Household, plan=None) -> Compiled:
    """Render the whole dossier of `household` to PDF bytes with its 卷内目录."""
    with _young_garbage_only():
        return _compile(household, plan)


def _compile(household: Household, plan) -> Compiled:
    context, docs, signature = plan or dossier_plan(household)
    layout = lay_out(context, docs)
    front, body, pages = layout.front, layout.body, layout.pages
    pdf = front.copy([*front.pages, *body.pages]).write_pdf()
    if any(doc.pdf for doc in docs):
        pdf = _merge_external(pdf, docs, pages)
    total = len(front.pages) + len(body.pages)
    return Compiled(pdf=pdf, signature=signature, page_count=total, toc=_toc(docs, pages, total))


def _with_documents(context: dict, docs: list[Doc]) -> dict:
    dates = [d.date for d in docs if d.date]
    return {
        **context,
        "docs": docs,
        "first_date": min(dates, default=None),
        "last_date": max(dates, default=None),
    }


def body_html(household: Household) -> str:
    """The HTML the dossier's documents are laid out from, without laying it out (cheap).

    Documents filed as separate PDFs or scans appear as placeholders; the generated ones, and
    other apps' documents laid out inline (the review record, the 公示), in full.
    """
    context, docs, _ = dossier_plan(household)
    context = _with_documents(context, docs)
    return render_html("pdf/dossier/dossier.html", {**context, "first_page": FRONT_PAGES + 1})


@dataclass
class Layout:
    """A dossier laid out: its two HTML sources, their WeasyPrint documents, anchor -> page."""

    front_html: str
    body_html: str
    front: object
    body: object
    pages: dict[str, int]


def lay_out(context: dict, docs: list[Doc]) -> Layout:
    """Lay out the documents, then the cover and 卷内目录 numbered from that layout.

    Reads scans and other apps' PDFs first (their page counts take space in the layout).
    """
    _prepare_external(docs)
    context = _with_documents(context, docs)
    front_pages = FRONT_PAGES
    for _ in range(3):
        body_html = render_html(
            "pdf/dossier/dossier.html", {**context, "first_page": front_pages + 1}
        )
        body = render_document(body_html)
        pages = {anchor: front_pages + i for anchor, i in _first_pages(body).items()}
        total = front_pages + len(body.pages)
        front_html = render_html(
            "pdf/dossier/front.html",
            {**context, "toc": _toc(docs, pages, total), "page_count": total},
        )
        front = render_document(front_html)
        if len(front.pages) == front_pages:
            return Layout(front_html, body_html, front, body, pages)
        # A longer 卷内目录: number the documents again. Its page numbers sit in a fixed-width
        # column that never wraps, so they cannot change its length and the next round fits.
        front_pages = len(front.pages)
    raise RuntimeError("卷内目录的页数无法确定")
