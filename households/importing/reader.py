"""Stream the rows of an import workbook: openpyxl read-only, values only, one pass per sheet.

The sheet's declared dimension is ignored (a file can claim A1:XFD1048576) and the row cap is
counted while streaming (S-21).
"""

import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from ..xlsx_guard import UnsafeUpload

try:  # openpyxl parses with lxml when it is installed (python-docx brings it): its own errors
    from lxml.etree import LxmlError
except ImportError:  # pragma: no cover - lxml absent
    LxmlError = ParseError
from .columns import Sheet, normalize_header

MAX_HEADER_COLUMNS = 200
XML_BOMB_MESSAGE = (
    "文件包含不安全的 XML 内容（实体声明或外部引用），已拒绝。请用 Excel/WPS 重新保存后再上传。"
)
UNREADABLE_MESSAGE = "文件无法读取，可能已损坏。请用 Excel/WPS 打开后另存为 .xlsx 再上传。"


@dataclass(frozen=True)
class RowError:
    """One problem, located as a person finds it in Excel: sheet, row number, column header."""

    sheet: str
    row: int | None
    column: str
    message: str
    letter: str = ""

    def __str__(self) -> str:
        where = [self.sheet] if self.sheet else []
        if self.row:
            where.append(f"第{self.row}行")
        if self.column:
            where.append(f"“{self.column}”列" + (f"（{self.letter}列）" if self.letter else ""))
        return ("，".join(where) + "：" if where else "") + self.message


class ImportAborted(Exception):
    """A problem with the whole file (unsafe, unreadable, too many rows): nothing else is checked."""


def _unsafe(exc: BaseException) -> UnsafeUpload:
    """Translate a parser failure; openpyxl wraps defusedxml's refusal in a ValueError."""
    seen = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return UnsafeUpload(XML_BOMB_MESSAGE)
        seen = seen.__cause__ or seen.__context__
    return UnsafeUpload(UNREADABLE_MESSAGE)


def open_workbook(fileobj):
    """Open read-only, values only (cached results of formulas), external links dropped."""
    try:
        return load_workbook(fileobj, read_only=True, data_only=True, keep_links=False)
    except (
        DefusedXmlException,
        InvalidFileException,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        ParseError,
        ExpatError,
        LxmlError,
    ) as exc:
        raise _unsafe(exc) from exc


def find_sheet(workbook, name: str):
    for title in workbook.sheetnames:
        if title.strip() == name:
            return workbook[title]
    return None


def map_header(ws, spec: Sheet, errors: list) -> list[int | None] | None:
    """Column index for each spec column (None if absent); None when required ones are missing."""
    header = next(
        ws.iter_rows(min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS, values_only=True), ()
    )
    positions: dict[str, int] = {}
    for idx, raw in enumerate(header):
        name = normalize_header(raw)
        if not name:
            continue
        if name in positions:
            errors.append(
                RowError(
                    spec.name, 1, name, "表头重复，请删除多余的一列。", get_column_letter(idx + 1)
                )
            )
        positions.setdefault(name, idx)
    missing = [c.header for c in spec.columns if c.required and c.header not in positions]
    if missing:
        errors.append(
            RowError(spec.name, 1, "、".join(missing), "缺少必填列，请使用系统提供的导入模板。")
        )
        return None
    return [positions.get(c.header) for c in spec.columns]


def iter_rows(ws, spec: Sheet, positions: list, *, max_rows: int, progress=None):
    """Yield (excel_row_number, values in spec column order) for each non-blank data row."""
    width = max(p for p in positions if p is not None) + 1
    raw_limit = max_rows * 2 + 1000
    data_rows = 0
    try:
        rows = ws.iter_rows(min_row=2, max_col=width, values_only=True)
        for number, row in enumerate(rows, start=2):
            if number > raw_limit:
                raise ImportAborted(
                    f"工作表“{spec.name}”的行数（含空行）超过上限，请删除多余的空行后再导入。"
                )
            if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in row):
                continue
            data_rows += 1
            if data_rows > max_rows:
                raise ImportAborted(
                    f"工作表“{spec.name}”超过 {max_rows} 行的上限，请分成几个文件导入。"
                )
            if progress is not None and data_rows % 2000 == 0:
                progress(data_rows)
            n = len(row)
            yield number, [row[p] if p is not None and p < n else None for p in positions]
    except (
        DefusedXmlException,
        zipfile.BadZipFile,
        KeyError,
        TypeError,
        ValueError,
        ParseError,
        ExpatError,
        LxmlError,
    ) as exc:
        raise _unsafe(exc) from exc


def prepare(ws):
    """Forget the dimension the sheet declares: it may lie (S-21)."""
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    return ws
