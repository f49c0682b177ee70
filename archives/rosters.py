"""花名册: the 低保 and 低保边缘 rosters as real .xlsx, streamed with openpyxl's write-only mode.

Who is on a roster: every member with an open AssistanceRecord (no end date) of the roster's kinds.
Write-only mode keeps memory flat as rows grow (scale-performance-security.md B.2); it still writes
merged cells, print titles and page setup, which are kept on the worksheet and emitted at close.
"""

from copy import copy
from dataclasses import dataclass, field
from datetime import date
from itertools import islice

from django.db.models import Case, Count, IntegerField, Sum, Value, When
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from households import idnumber, register
from households.models import AssistanceRecord, Campaign, Household, Member, Village
from xixin_dibao import clock
from xixin_dibao.xlsx import safe_cell_value, setup_page


@dataclass(frozen=True)
class RosterKind:
    code: str
    title: str
    kinds: tuple[str, ...]
    filename: str
    # Only the records the current campaign's county confirmations opened (本次新增).
    added_by_campaign: bool = False


ROSTER_KINDS = {
    "dibao": RosterKind(
        "dibao",
        "低保对象花名册",
        register.DIBAO_KINDS,
        "低保",
    ),
    "marginal": RosterKind(
        "marginal", "低保边缘家庭花名册", (AssistanceRecord.Kind.MARGINAL,), "低保边缘"
    ),
    "new": RosterKind(
        "new",
        "本次新增对象花名册",
        register.CURRENT_KINDS,
        "本次新增",
        added_by_campaign=True,
    ),
}

# 类别 column: whole household or single-person route (rules.md §4).
CATEGORY_LABELS = {
    AssistanceRecord.Kind.DIBAO: "整户",
    AssistanceRecord.Kind.DIBAO_SINGLE: "单人户",
    AssistanceRecord.Kind.MARGINAL: "整户",
}
RELATION_LABELS = dict(Member.Relation.choices)
KIND_LABELS = dict(AssistanceRecord.Kind.choices)

# The household's monthly amount (as decided and posted) on its first row; each person's share
# of it (the register's 元/人) on every row. The shares add up to the household amount.
HOUSEHOLD_AMOUNT = "户月保障金（元/户）"
PERSON_AMOUNT = "本人月保障金（元/人）"
# (header, width, group header or None, number format)
COLUMNS = [
    ("序号", 6, None, None),
    ("村", 10, None, None),
    ("组", 8, None, None),
    ("户主", 10, None, None),
    ("姓名", 10, "保障对象", None),
    ("与户主关系", 10, "保障对象", None),
    ("身份证号", 21, "保障对象", None),
    ("家庭人口", 8, None, None),
    ("保障人数", 8, "保障情况", None),
    (HOUSEHOLD_AMOUNT, 12, "保障情况", "#,##0.00"),
    (PERSON_AMOUNT, 12, "保障情况", "#,##0.00"),
    ("类别", 8, "保障情况", None),
    ("起始日期", 12, "保障情况", "yyyy-mm-dd"),
]
LAST_COL = get_column_letter(len(COLUMNS))
READ_CHUNK = 2_000  # rows read from the database at a time (memory stays flat)
HEADER_ROWS = "3:4"
FIRST_DATA_ROW = 5  # title, subtitle, two header rows

THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center")


@dataclass
class RosterResult:
    rows: int = 0
    households: set = field(default_factory=set)
    total_amount: object = 0  # the persons' shares (元/人 column)
    household_total: object = 0  # the households' amounts (元/户 column)


def roster_queryset(*, user, kind: str, village: Village | None = None):
    """Open assistance records of the roster's kinds, in the user's scope, as value tuples."""
    spec = ROSTER_KINDS[kind]
    households = Household.objects.for_user(user)
    if village is not None:
        households = households.filter(village=village)
    head_first = Case(
        When(member__relation=Member.Relation.HEAD, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    records = register.current_records().filter(
        kind__in=spec.kinds, member__household__in=households
    )
    if spec.added_by_campaign:
        records = records.filter(campaign=Campaign.objects.current(user=user))
    return (
        records.annotate(head_first=head_first)
        .order_by(
            "member__household__village__code",
            "member__household__group__number",
            "member__household__code",
            "head_first",
            "member_id",
        )
        .values_list(
            "member__household__village__name",
            "member__household__group__name",
            "member__household__head_name",
            "member__name",
            "member__relation",
            "member__id_number",
            "monthly_amount",
            "kind",
            "start_date",
            "member__household_id",
        )
    )


def roster_rows(*, user, kind: str, village: Village | None = None, chunk: int = READ_CHUNK):
    """(row, household size, members covered, household amount) for each roster row, read
    `chunk` rows at a time.

    The household amount is the sum of its members' shares (元/人) on the register, which is
    the amount decided and posted (元/户). The figures come from grouped queries per chunk for
    the chunk's households, instead of correlated subqueries evaluated on every row.
    """
    kinds = ROSTER_KINDS[kind].kinds
    rows = roster_queryset(user=user, kind=kind, village=village).iterator(chunk_size=chunk)
    for batch in iter(lambda: list(islice(rows, chunk)), []):
        ids = {row[-1] for row in batch}
        sizes = dict(
            Member.objects.filter(household_id__in=ids, exclusion="")
            .order_by()
            .values_list("household_id")
            .annotate(n=Count("pk"))
        )
        covered = {
            household: (n, amount)
            for household, n, amount in AssistanceRecord.objects.filter(
                member__household_id__in=ids, end_date__isnull=True, kind__in=kinds
            )
            .order_by()
            .values_list("member__household_id")
            .annotate(n=Count("member", distinct=True), amount=Sum("monthly_amount"))
        }
        for row in batch:
            yield row, sizes.get(row[-1], 0), *covered.get(row[-1], (0, None))


def _text(value) -> str:
    """User text for a cell: illegal XML characters dropped, formula starters neutralised."""
    return safe_cell_value(value or "")


class _RowCell(Cell):
    """A styled cell reused for every row; its short repr keeps openpyxl's append path cheap."""

    __slots__ = ()

    def __repr__(self):
        return "<RowCell>"


def _styled(ws, *, font=None, alignment=CENTER, border=BORDER, number_format=None):
    cell = _RowCell(ws, row=1, column=1)
    cell.border = border
    cell.alignment = alignment
    cell.font = font or Font(name="宋体", size=10)
    if number_format:
        cell.number_format = number_format
    return cell


def _row(ws, values, template) -> list:
    cells = []
    for value in values:
        cell = WriteOnlyCell(ws, value)
        cell._style = copy(template._style)
        cells.append(cell)
    return cells


def _write_header(ws, title: str, subtitle: str) -> None:
    for i, (_, width, _, _) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.row_dimensions[1].height = 30
    title_cell = _styled(ws, font=Font(name="黑体", size=16, bold=True), border=Border())
    title_cell.value = title
    ws.append([title_cell])
    sub_cell = _styled(ws, alignment=LEFT, border=Border())
    sub_cell.value = subtitle
    ws.append([sub_cell])
    head = _styled(ws, font=Font(name="宋体", size=10, bold=True))
    top, bottom = [], []
    for i, (label, _, group, _) in enumerate(COLUMNS, start=1):
        first_in_group = group and (i == 1 or COLUMNS[i - 2][2] != group)
        top.append(group if first_in_group else (None if group else label))
        bottom.append(label if group else None)
    ws.append(_row(ws, top, head))
    ws.append(_row(ws, bottom, head))
    ws.merged_cells.add(f"A1:{LAST_COL}1")
    ws.merged_cells.add(f"A2:{LAST_COL}2")
    for first, last, group in _header_runs():
        rows = "3:3" if group else "3:4"
        a, b = rows.split(":")
        ws.merged_cells.add(f"{get_column_letter(first)}{a}:{get_column_letter(last)}{b}")


def _header_runs():
    """(first column, last column, group) for each run of columns under one header cell."""
    runs = []
    for i, (_, _, group, _) in enumerate(COLUMNS, start=1):
        if group and runs and runs[-1][2] == group:
            runs[-1][1] = i
        else:
            runs.append([i, i, group])
    return runs


def _page_setup(ws) -> None:
    """A4 landscape, one page wide, the two header rows on every page, frozen below them."""
    setup_page(ws, title_rows=HEADER_ROWS)
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def scope_name(user, village: Village | None) -> str:
    if village is not None:
        return f"{village.township.name}{village.name}"
    township = getattr(user, "township", None)
    return township.name if township else "全乡"


def write_roster(target, *, user, kind: str, village: Village | None = None, reveal: bool = False):
    """Write the roster workbook to `target` (a path or a binary file) and return its totals."""
    spec = ROSTER_KINDS[kind]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(spec.filename)
    _page_setup(ws)
    today = clock.today()
    id_note = "身份证号为完整号码，请妥善保管" if reveal else "身份证号已隐藏中间数字"
    amount_note = (
        "户月保障金为全户每月金额，本人月保障金为每人分得的份额，同户份额相加等于户月保障金"
    )
    _write_header(
        ws,
        f"{scope_name(user, village)}{spec.title}",
        f"统计截至：{today.year}年{today.month}月{today.day}日　{id_note}　{amount_note}",
    )
    body = [
        _styled(ws, number_format=fmt, alignment=CENTER if i != 6 else LEFT)
        for i, (_, _, _, fmt) in enumerate(COLUMNS)
    ]
    result = RosterResult()
    total = 0
    for row, size, covered, household_amount in roster_rows(user=user, kind=kind, village=village):
        (village_name, group, head, name, relation, id_number, amount, rkind, start,
         household_id) = row  # fmt: skip
        first_row = household_id not in result.households  # a household's rows come together
        result.rows += 1
        result.households.add(household_id)
        total += amount or 0
        if first_row:
            result.household_total += household_amount or 0
        values = (
            result.rows,
            _text(village_name),
            _text(group),
            _text(head),
            _text(name),
            RELATION_LABELS.get(relation, relation),
            id_number if reveal else idnumber.mask(id_number),
            size,
            covered,
            household_amount if first_row else None,
            amount,
            (KIND_LABELS if spec.added_by_campaign else CATEGORY_LABELS).get(rkind, ""),
            start,
        )
        for cell, value in zip(body, values, strict=True):
            cell.value = value
        ws.append(body)
    result.total_amount = total
    # The filter buttons sit on the lower header row and cover the people, not the totals.
    ws.auto_filter.ref = f"A{FIRST_DATA_ROW - 1}:{LAST_COL}{FIRST_DATA_ROW - 1 + result.rows}"
    _write_footer(ws, result, body)
    wb.save(target)
    return result


def _write_footer(ws, result: RosterResult, body) -> None:
    first = result.rows + FIRST_DATA_ROW
    totals = [None] * len(COLUMNS)
    totals[0] = "合计"
    totals[3] = f"{len(result.households)}户"
    totals[4] = f"{result.rows}人"
    totals[9], totals[10] = result.household_total, result.total_amount
    for cell, value in zip(body, totals, strict=True):
        cell.value = value
    ws.append(body)
    ws.merged_cells.add(f"A{first}:C{first}")
    ws.append([])
    sign = _styled(ws, alignment=LEFT, border=Border())
    line = [None] * len(COLUMNS)
    line[0], line[4], line[8] = "制表人：", "审核人：", "日期：　　年　　月　　日"
    ws.append(_row(ws, line, sign))
    row = first + 2
    for cols in ("A:D", "E:H", f"I:{LAST_COL}"):
        a, b = cols.split(":")
        ws.merged_cells.add(f"{a}{row}:{b}{row}")


def roster_filename(*, user, kind: str, village: Village | None, day: date | None = None) -> str:
    day = day or clock.today()
    return f"{scope_name(user, village)}{ROSTER_KINDS[kind].filename}花名册_{day:%Y%m%d}.xlsx"
