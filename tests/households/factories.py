"""Workbook builders for the import/export tests: real .xlsx files written with openpyxl."""

import io
import zipfile
from datetime import date, timedelta

from openpyxl import Workbook

from households import idnumber
from households.importing import columns as C

MEMBER_HEADERS = [c.header for c in C.MEMBERS.columns]
INCOME_HEADERS = [c.header for c in C.INCOMES.columns]
ASSET_HEADERS = [c.header for c in C.ASSETS.columns]
EXPENSE_HEADERS = [c.header for c in C.EXPENSES.columns]
HEADERS = {
    C.MEMBERS.name: MEMBER_HEADERS,
    C.INCOMES.name: INCOME_HEADERS,
    C.ASSETS.name: ASSET_HEADERS,
    C.EXPENSES.name: EXPENSE_HEADERS,
    C.ASSISTANCE.name: [c.header for c in C.ASSISTANCE.columns],
    C.APPLICATIONS.name: [c.header for c in C.APPLICATIONS.columns],
}


def id_for(n: int) -> str:
    """A distinct valid ID number for each n (different birth date / sequence)."""
    born = date(1940, 1, 1) + timedelta(days=n // 900)
    return idnumber.make("500240", born, n % 900 + 10)


def member(code: str, name: str, id_number: str | None, relation: str = "户主", **extra) -> dict:
    row = {"户编号": code, "姓名": name, "身份证号": id_number, "与户主关系": relation}
    row.update(extra)
    return row


def income(code: str, amount, kind: str = "工资性收入", **extra) -> dict:
    row = {"户编号": code, "收入类型": kind, "金额": amount}
    row.update(extra)
    return row


def xlsx_bytes(sheets: dict[str, list[dict]], *, headers: dict | None = None) -> bytes:
    """A workbook with one sheet per key; each row a {header: value} dict."""
    headers = headers or HEADERS
    wb = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        cols = headers[name]
        ws.append(cols)
        for row in rows:
            ws.append([row.get(h) for h in cols])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "家庭.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def replace_parts(data: bytes, replacements: dict[str, bytes], extra: dict | None = None) -> bytes:
    """Copy a zip, swapping the named parts' content and adding `extra` parts."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, replacements.get(info.filename, src.read(info.filename)))
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


# The codes of tests/conftest.py's village_a and village_b: a new household's code starts with
# its village's code (issue 19.8).
VILLAGE_CODES = {"保合村": "500240214201", "万寿村": "500240214202"}


def household_rows(n_households: int, *, village: str = "保合村", start: int = 0) -> list[dict]:
    """3 members per household: head, spouse, child; codes <village code>-B00000…"""
    rows = []
    for h in range(start, start + n_households):
        code = f"{VILLAGE_CODES[village]}-B{h:05d}"
        rows.append(
            member(code, f"户主{h}", id_for(h * 3), "户主", 村=village, 住址=f"{village}{h}号")
        )
        rows.append(member(code, f"配偶{h}", id_for(h * 3 + 1), "配偶"))
        rows.append(member(code, f"子女{h}", id_for(h * 3 + 2), "子女", 在校就读="小学"))
    return rows
