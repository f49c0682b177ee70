"""The household export: the import file's own sheets and columns, so it imports back unchanged.

One table (households/importing/columns.py) drives the import, its template and this export.
A 家庭成员 row per member carries the household's columns too; 收入, 财产, 刚性支出, 救助记录
and 申请记录 list every record of the exported households. Households are read 2,000 at a time
and every sheet is write-only (xixin_dibao.xlsx), so memory stays flat at any size.

ID numbers are masked unless the user may and asked to see them (audited as a reveal by the
view). Only the full-ID export imports back: a masked number is not an ID number.
"""

from __future__ import annotations

from itertools import islice

from openpyxl import Workbook

from xixin_dibao.xlsx import Col, ListSheet

from . import idnumber
from .importing import columns as C
from .models import Application, Asset, AssistanceRecord, Expense, Household, Income, Member

CHUNK = 2000
CELL_KINDS = {"money": "money", "months": "int", "count": "int", "people": "int", "date": "date"}
CHILDREN = (
    (C.INCOMES, Income, "household"),
    (C.ASSETS, Asset, "household"),
    (C.EXPENSES, Expense, "household"),
    (C.ASSISTANCE, AssistanceRecord, "member__household"),
    (C.APPLICATIONS, Application, "household"),
)


def household_export_queryset(user, params=None):
    """The households `user` may see, filtered and sorted like the list page."""
    from .views import filter_households, household_order  # the list page's own filters

    qs = Household.objects.for_user(user)
    if params:
        qs = filter_households(qs, params)
    sort = params.get("sort") if params else None
    return qs.select_related("village", "group").order_by(*household_order(sort))


def _col(column: C.Column) -> Col:
    width = 22 if column.text_format else max(8, len(column.header) * 2 + 2)
    return Col(column.header, width, CELL_KINDS.get(column.kind, "text"))


class _Cells:
    """Turn a stored value into what the import reads back as the same value."""

    def __init__(self, sheet: C.Sheet, *, reveal: bool):
        self.sheet = sheet
        self.reveal = reveal
        self.labels = {c.key: dict(c.choices) for c in sheet.columns if c.kind == "choice"}

    def value(self, column: C.Column, value):
        kind = column.kind
        if kind == "choice":
            return self.labels[column.key].get(value)
        if kind == "bool":
            return "是" if value else "否"
        if kind == "grade":
            return f"{value}级" if value else None
        if kind == "id_number":
            return (value if self.reveal else idnumber.mask(value)) if value else None
        if kind == "text":
            return value or None
        return value


def _household_value(household: Household, key: str):
    if key == "village":
        return household.village.name
    if key == "group":
        return household.group.name if household.group_id else None
    return getattr(household, key)


def member_rows(households, members, cells: _Cells):
    by_household = {h.pk: h for h in households}
    household_keys = set(C.HOUSEHOLD_KEYS) | {"code"}
    for member in members:
        household = by_household[member.household_id]
        yield [
            cells.value(
                col,
                _household_value(household, col.key)
                if col.key in household_keys
                else getattr(member, col.key),
            )
            for col in C.MEMBERS.columns
        ]


def child_rows(records, cells: _Cells, codes: dict):
    for household_id, record in records:
        row = []
        for col in cells.sheet.columns:
            if col.key == "code":
                row.append(codes[household_id])
            elif col.key == "member_name":
                row.append(record.member.name if record.member_id else None)
            else:
                row.append(cells.value(col, getattr(record, col.key)))
        yield row


def _records(model, path: str, ids: list[int]) -> list[tuple[int, object]]:
    """(household id, record) of the households `ids`, in their order, oldest record first."""
    order = {pk: i for i, pk in enumerate(ids)}
    qs = model.objects.filter(**{f"{path}_id__in": ids})
    if any(f.name == "member" for f in model._meta.concrete_fields):
        qs = qs.select_related("member")
    pairs = [(getattr(r, "household_id", None) or r.member.household_id, r) for r in qs]
    return sorted(pairs, key=lambda pair: (order[pair[0]], pair[1].pk))


def write_households_xlsx(out, *, households, reveal: bool = False, progress=None) -> int:
    """Write the households (a queryset) and all their records to `out`; return the count."""
    workbook = Workbook(write_only=True)
    members_sheet = ListSheet(workbook, C.MEMBERS.name, [_col(c) for c in C.MEMBERS.columns])
    member_cells = _Cells(C.MEMBERS, reveal=reveal)
    children = [
        (ListSheet(workbook, spec.name, [_col(c) for c in spec.columns]), model, path, spec)
        for spec, model, path in CHILDREN
    ]
    count = 0
    rows = households.iterator(chunk_size=CHUNK)
    for chunk in iter(lambda: list(islice(rows, CHUNK)), []):
        ids = [h.pk for h in chunk]
        codes = {h.pk: h.code for h in chunk}
        members = [m for _, m in _records(Member, "household", ids)]
        for values in member_rows(chunk, members, member_cells):
            members_sheet.append(values)
        for sheet, model, path, spec in children:
            cells = _Cells(spec, reveal=reveal)
            for values in child_rows(_records(model, path, ids), cells, codes):
                sheet.append(values)
        count += len(chunk)
        if progress is not None:
            progress(count)
    members_sheet.close()
    for sheet, *_ in children:
        sheet.close()
    workbook.save(out)
    return count
