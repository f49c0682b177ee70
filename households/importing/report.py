"""The error list as a workbook: what a person downloads when a background import fails."""

from xixin_dibao.xlsx import Col, save_list

COLUMNS = (Col("工作表", 12), Col("行号", 8, "int"), Col("列", 22), Col("原因", 90))
HEADERS = [c.header for c in COLUMNS]


def write_error_report(errors, out) -> None:
    """Write 工作表 / 行号 / 列 / 原因, one error a row, to `out` (a path or a file object)."""
    rows = (
        [e.sheet, e.row, e.column + (f"（{e.letter}列）" if e.letter else ""), e.message]
        for e in errors
    )
    save_list(out, "导入错误", COLUMNS, rows)
