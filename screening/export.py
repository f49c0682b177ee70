"""The director's queue as an .xlsx workbook (openpyxl write-only; text never runs as a formula)."""

from __future__ import annotations

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .labels import GROUP_LABELS, flag_label, outcome_label

# = + - @ tab CR LF NUL, and the full-width forms spreadsheets also take as formula starters (S-16).
FORMULA_STARTERS = frozenset("=+-@\t\r\n\0＝＋－＠")
HEADERS = (
    "户编号",
    "户主",
    "村",
    "村民组",
    "计入人数",
    "人均年收入（元）",
    "研判结论",
    "测算月保障金（元/户）",
    "临界",
    "回头看",
    "需人工复核事项",
    "重点人群",
    "较上次",
    "上次结论",
    "规则版本",
    "研判时间",
)
COLUMNS = (
    "household__code",
    "household__head_name",
    "household__village__name",
    "household__group__name",
    "member_count",
    "per_capita_income",
    "outcome",
    "monthly_amount",
    "near_line",
    "lookback",
    "flag_codes",
    "group_codes",
    "changed",
    "previous_outcome",
    "ruleset_version",
    "created_at",
)


def _safe_text(value: str) -> str:
    """Prefix text a spreadsheet would read as a formula with an apostrophe."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value and value[0] in FORMULA_STARTERS:
        return "'" + value
    return value


try:  # the registry's helper, so the whole app escapes one way
    from households.xlsx_cells import safe_cell_value as safe_text
except ImportError:  # pragma: no cover - depends on the other module's presence
    safe_text = _safe_text


def _codes(text: str) -> list[str]:
    return [c for c in text.split(",") if c]


def row_values(row: tuple, money=float) -> list:
    """One queue row as cell values: numbers stay numbers, codes become Chinese labels."""
    (code, head, village, group, members, income, outcome, monthly, near, lookback) = row[:10]
    flags, groups, changed, previous, version, created = row[10:]
    return [
        safe_text(code),
        safe_text(head),
        safe_text(village),
        safe_text(group or ""),
        members,
        money(income),
        outcome_label(outcome),
        money(monthly),
        "是" if near else "",
        "是" if lookback else "",
        "；".join(flag_label(c) for c in _codes(flags)),
        "；".join(GROUP_LABELS.get(int(c), c) for c in _codes(groups)),
        "结论有变化" if changed else ("首次研判" if not previous else ""),
        outcome_label(previous) if previous else "",
        version,
        timezone.localtime(created).strftime("%Y-%m-%d %H:%M") if created else "",
    ]


def write_queue(results, target, *, title: str) -> int:
    """Write the results queryset (already filtered, ordered) to `target`; return rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("研判队列")
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["K"].width = 40
    sheet.append([safe_text(title)])
    sheet.append(list(HEADERS))

    def money(value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = "#,##0.00"
        return cell

    count = 0
    for row in results.values_list(*COLUMNS).iterator(chunk_size=2000):
        sheet.append(row_values(row, money))
        count += 1
    workbook.save(target)
    return count
