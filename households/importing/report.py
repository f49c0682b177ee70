"""The error list as a workbook: what a person downloads when a background import fails."""

from openpyxl import Workbook

from ..xlsx_cells import safe_row

HEADERS = ["工作表", "行号", "列", "原因"]


def write_error_report(errors, out) -> None:
    """Write 工作表 / 行号 / 列 / 原因, one error a row, to `out` (a path or a file object)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("导入错误")
    for letter, width in zip("ABCD", (12, 8, 22, 90), strict=True):
        ws.column_dimensions[letter].width = width
    ws.append(HEADERS)
    for e in errors:
        column = e.column + (f"（{e.letter}列）" if e.letter else "")
        ws.append(safe_row(ws, [e.sheet, e.row, column, e.message]))
    wb.save(out)
