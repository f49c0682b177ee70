"""The director's queue as an .xlsx list (xixin_dibao.xlsx: typed, filterable, streamed)."""

from __future__ import annotations

from xixin_dibao.xlsx import Col, save_list

from .labels import GROUP_LABELS, flag_label, outcome_label

COLUMNS = (
    Col("户编号", 20),
    Col("户主", 12),
    Col("村", 10),
    Col("村民组", 10),
    Col("计入人数", 8, "int"),
    Col("人均年收入（元）", 14, "money"),
    Col("研判结论", 12),
    Col("测算月保障金（元/户）", 14, "money"),
    Col("临界", 6),
    Col("回头看", 6),
    Col("需人工复核事项", 40),
    Col("重点人群", 30),
    Col("较上次", 10),
    Col("上次结论", 10),
    Col("规则版本", 10),
    Col("研判时间", 17, "datetime"),
)
HEADERS = tuple(c.header for c in COLUMNS)
FIELDS = (
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


def _codes(text: str) -> list[str]:
    return [c for c in text.split(",") if c]


def row_values(row: tuple) -> list:
    """One queue row as cell values: numbers stay numbers, codes become Chinese labels."""
    (code, head, village, group, members, income, outcome, monthly, near, lookback) = row[:10]
    flags, groups, changed, previous, version, created = row[10:]
    return [
        code,
        head,
        village,
        group or "",
        members,
        income,
        outcome_label(outcome),
        monthly,
        "是" if near else "",
        "是" if lookback else "",
        "；".join(flag_label(c) for c in _codes(flags)),
        "；".join(GROUP_LABELS.get(int(c), c) for c in _codes(groups)),
        "结论有变化" if changed else ("首次研判" if not previous else ""),
        outcome_label(previous) if previous else "",
        version,
        created,
    ]


def write_queue(results, target, *, title: str) -> int:
    """Write the results queryset (already filtered, ordered) to `target`; return rows written."""
    rows = (row_values(r) for r in results.values_list(*FIELDS).iterator(chunk_size=2000))
    return save_list(target, "研判队列", COLUMNS, rows, intro=[[title]])
