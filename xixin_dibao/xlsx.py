"""Write a list to .xlsx the way Excel users expect it: one helper for every export.

Every list sheet gets column widths, a frozen header row, an autofilter over the header and the
data, a printable page (landscape, fit to width, the header repeated on every page) and typed
cells: numbers are numbers, a ratio is a number shown as a percentage, dates are dates.
Workbooks are write-only (openpyxl streams rows to disk, memory stays flat at a million rows;
scale-performance-security.md B.2).

Text never runs as a formula (S-16, ASVS 1.2.10): `safe_cell(ws, value)` stores formula-like
text as a string with Excel's "quote prefix" flag, which is what Excel does when a person types
'=1+1; `safe_cell_value(value)` gives a plain value with a leading apostrophe for other writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Half-width triggers (OWASP) plus CR and the full-width forms some IMEs type.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

NUMBER_FORMATS = {
    "int": "0",
    "money": "#,##0.00",
    "number": "0.00",
    "percent": "0.0%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}
HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
SHEET_TITLE_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})


def clean_text(text: str) -> str:
    """Drop control characters that are illegal in XLSX (openpyxl would refuse the file)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def safe_cell_value(value):
    """Return `value` ready for a cell: formula-like text prefixed with "'", other values as is."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if is_formula_like(text) else text


def safe_cell(ws, value):
    """A write-only cell holding `value`; formula-like text is kept verbatim as quoted text."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    if not is_formula_like(text):
        return text
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"  # openpyxl guessed "f" from the leading "="
    cell.quotePrefix = True
    return cell


def safe_row(ws, values) -> list:
    """`safe_cell` over a row, for `ws.append(safe_row(ws, values))` on a write-only sheet."""
    return [safe_cell(ws, v) for v in values]


@dataclass(frozen=True)
class Col:
    """One column of a list: its header, width (in characters) and kind of value."""

    header: str
    width: float = 12
    kind: str = "text"  # text, or a key of NUMBER_FORMATS


def sheet_title(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    return (text.translate(SHEET_TITLE_CHARS) or "Sheet")[:31]


class ListSheet:
    """A list being written to a write-only sheet: `append(values)` per row, then `close()`."""

    def __init__(self, workbook: Workbook, title: str, columns: Sequence[Col], *, intro=()):
        self.ws = ws = workbook.create_sheet(sheet_title(title))
        self.columns = list(columns)
        self.rows = 0
        for i, col in enumerate(self.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = col.width
        self.header_row = len(intro) + 1
        ws.freeze_panes = f"A{self.header_row + 1}"
        setup_page(ws, title_rows=f"{self.header_row}:{self.header_row}")
        for line in intro:
            ws.append(safe_row(ws, list(line)))
        head = WriteOnlyCell(ws)
        head.font, head.alignment = HEADER_FONT, HEADER_ALIGNMENT
        ws.append([_styled_like(ws, head, safe_cell_value(c.header)) for c in self.columns])
        # One styled template per typed column; each row's cells copy its style (cheap).
        self._templates = [_template(ws, col.kind) for col in self.columns]

    def append(self, values: Sequence) -> None:
        ws = self.ws
        row = []
        for template, value in zip(self._templates, values, strict=True):
            if template is None or value is None or isinstance(value, str):
                row.append(safe_cell(ws, value))
            else:
                row.append(_styled_like(ws, template, _plain(value)))
        ws.append(row)
        self.rows += 1

    def close(self) -> int:
        """Put the autofilter over the header and the rows written; return the row count."""
        last = get_column_letter(len(self.columns))
        self.ws.auto_filter.ref = f"A{self.header_row}:{last}{self.header_row + self.rows}"
        return self.rows


def _template(ws, kind: str):
    fmt = NUMBER_FORMATS.get(kind)
    if fmt is None:
        return None
    cell = WriteOnlyCell(ws)
    cell.number_format = fmt
    return cell


def _styled_like(ws, template, value):
    cell = WriteOnlyCell(ws, value)
    cell._style = copy(template._style)
    return cell


def _plain(value):
    """A value openpyxl can write: aware datetimes become naive local time."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def setup_page(ws, *, title_rows: str) -> None:
    """Print landscape on A4, fit to the page width, repeat `title_rows` on every page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_list(
    workbook: Workbook,
    title: str,
    columns: Sequence[Col],
    rows: Iterable[Sequence],
    *,
    intro=(),
    progress=None,
    every: int = 2000,
) -> int:
    """Write `rows` as one list sheet of `workbook`; return how many were written."""
    sheet = ListSheet(workbook, title, columns, intro=intro)
    for values in rows:
        sheet.append(values)
        if progress is not None and sheet.rows % every == 0:
            progress(sheet.rows)
    return sheet.close()


def save_list(out, title: str, columns: Sequence[Col], rows: Iterable[Sequence], **kwargs) -> int:
    """A workbook of one list sheet saved to `out` (a path or a binary file); return the rows."""
    workbook = Workbook(write_only=True)
    count = write_list(workbook, title, columns, rows, **kwargs)
    workbook.save(out)
    return count
