"""The dashboard's tables, cards and chart series, built from a snapshot's figures.

The same tables feed the page, the .xlsx export and the 通报, so every place shows one number.
A cell carries the figure key behind it; the view turns keys into drill-down links for the
roles allowed to see the households.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

from households.models import PriorityGroup

from .dashboard import DECISIONS, EXIT_REASONS, GROUPS, OUTCOMES


@dataclass
class Cell:
    value: int | float | None
    key: str = ""
    village_id: int | None = None
    pct: bool = False
    alert: bool = False
    url: str = ""
    share: float | None = None  # shown after a count: its share of the stage's base
    has_share: bool = False

    @property
    def share_text(self) -> str:
        return "—" if self.share is None else f"{self.share * 100:.1f}%"

    @property
    def text(self) -> str:
        if self.pct:
            return "—" if self.value is None else f"{self.value * 100:.1f}%"
        return "—" if self.value is None else str(self.value)


@dataclass
class Row:
    label: str
    cells: list[Cell]
    total: bool = False
    village_id: int | None = None


@dataclass
class Table:
    slug: str
    title: str
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    note: str = ""


def ratio(done: int, base: int) -> float | None:
    return done / base if base else None


def _rows(data: dict):
    """(label, figures, village_id, is_total) for each village, then the township total."""
    for v in data["villages"]:
        yield v["name"], v["f"], v["id"], False
    yield "全乡合计", data["total"], None, True


def _table(slug, title, data, columns, note="") -> Table:
    """columns: (header, key, kind); kind is "n" (a number), "pct:<done>:<base>" (a ratio),
    "share:<base>" (a number with its share of <base>), "below:<key>" (red when below that
    figure) or "negative" (red when below zero)."""
    table = Table(slug, title, [c[0] for c in columns], note=note)
    for label, f, vid, total in _rows(data):
        cells = []
        for _, key, kind in columns:
            if kind.startswith("pct:"):
                _, done, base = kind.split(":")
                cells.append(Cell(ratio(f[done], f[base]), pct=True))
            elif kind.startswith("share:"):
                share = ratio(f[key], f[kind.split(":")[1]])
                cells.append(Cell(f[key], key=key, village_id=vid, share=share, has_share=True))
            else:
                alert = kind.startswith("below:") and f[key] < f[kind.split(":")[1]]
                alert = alert or (kind == "negative" and f[key] < 0)
                cells.append(Cell(f[key], key=key, village_id=vid, alert=alert))
        table.rows.append(Row(label, cells, total=total, village_id=vid))
    return table


def scope_table(data) -> Table:
    return _table(
        "scope",
        "工作对象（按来源）",
        data,
        [
            ("合计（去重）", "scope_total", "n"),
            ("在册对象（低保、边缘）", "scope_current", "n"),
            ("回头看", "scope_lookback", "n"),
            ("十二类重点人群（任一类）", "scope_groups", "n"),
        ],
        note="一户可同时属于多个来源，合计按户去重。",
    )


def progress_table(data) -> Table:
    return _table(
        "progress",
        "各环节进度",
        data,
        [
            ("应摸排", "outreach_due", "n"),
            ("已摸排", "outreach_done", "share:outreach_due"),
            ("核查对象", "cases", "n"),
            ("信息比对完成", "datamatch_done", "share:cases"),
            ("入户调查完成", "visit_done", "share:cases"),
            ("完成核查", "verification_done", "share:cases"),
            ("已审核", "reviewed", "share:cases"),
            ("已公示/报县", "noticed", "share:cases"),
            ("已归档", "archived", "share:cases"),
        ],
        note="百分比：已摸排占应摸排的比例，其余各环节占核查对象的比例。“完成核查”指已提交审核或"
        "已登记拒不配合核查的对象；信息比对完成指每名共同生活成员都有比对结果。",
    )


def deadline_table(data) -> Table:
    return _table(
        "deadlines",
        "截止时间与逾期",
        data,
        [
            ("未摸排", "outreach_pending", "n"),
            ("其中逾期（11月2日后）", "outreach_overdue", "n"),
            ("待核查", "verification_open", "n"),
            ("其中逾期（11月21日后）", "verification_overdue", "n"),
            ("拒不配合（告知、回执中）", "refusal", "n"),
            ("视为自动退出", "auto_exit", "n"),
        ],
    )


def coverage_table(data) -> Table:
    return _table(
        "coverage",
        "低保覆盖面（较2021年底）",
        data,
        [
            ("2021年底户数", "baseline_households", "n"),
            ("2021年底人数", "baseline_persons", "n"),
            ("现有户数", "now_households", "below:baseline_households"),
            ("现有人数", "now_persons", "below:baseline_persons"),
            ("增减户数", "net_households", "negative"),
            ("增减人数", "net_persons", "negative"),
            ("预计户数", "projected_households", "below:baseline_households"),
            ("预计人数", "projected_persons", "below:baseline_persons"),
        ],
        note="现有 = 当前有低保（整户或单人户）救助记录的户和人。预计 = 现有 + 审核纳入低保但尚未"
        "登记救助的户（人数取计保人数）− 审核退出或视为自动退出但救助记录尚未终止的户（人数取"
        "仍在保的成员）。低于2021年底的数字以红色显示。",
    )


def changes_table(data) -> Table:
    return _table(
        "changes",
        "本次审核的新增与退出",
        data,
        [
            ("纳入低保（户）", "decision_include_dibao", "n"),
            ("纳入低保（人）", "entries_persons", "n"),
            ("待登记（户）", "entries_pending_households", "n"),
            ("待登记（人）", "entries_pending_persons", "n"),
            ("审核退出（户）", "decision_exit", "n"),
            ("审核退出（人）", "exits_review_persons", "n"),
            ("自动退出（户）", "auto_exit", "n"),
            ("自动退出（人）", "exits_auto_persons", "n"),
            ("待终止（户）", "exits_pending_households", "n"),
            ("待终止（人）", "exits_pending_persons", "n"),
        ],
        note="以集体研究审核的现行决定为准。纳入人数取计保人数；退出人数为本年度内在保的成员数。"
        "待登记 = 已决定纳入、尚未登记低保救助记录；待终止 = 已决定退出或视为自动退出、"
        "低保救助记录尚未终止（人数取仍在保的成员）。",
    )


def exits_table(data) -> Table:
    total = data["total"]
    reasons = [r for r in EXIT_REASONS if total[f"exits_registry_persons_{r}"]]
    columns = [
        ("退出户数", "exits_registry_households", "n"),
        ("退出人数", "exits_registry_persons", "n"),
    ]
    columns += [(f"{EXIT_REASONS[r]}（人）", f"exits_registry_persons_{r}", "n") for r in reasons]
    year = data["campaign"]["year"]
    return _table(
        "exits",
        f"{year}年以来退出低保（按原因）",
        data,
        columns,
        note=f"依据救助台账：{year}年1月1日以来终止、且现在不再享受低保的人；整户退出才计户。",
    )


def decisions_table(data) -> Table:
    columns = [(label, f"decision_{code}", "n") for code, label in DECISIONS.items()]
    return _table("decisions", "集体研究审核决定", data, columns)


def screening_table(data) -> Table:
    columns = [("已研判", "screened_total", "n")]
    columns += [(label, f"outcome_{code}", "n") for code, label in OUTCOMES.items()]
    return _table("screening", "研判结论", data, columns)


def outreach_table(data) -> Table:
    """Rows = the twelve groups; for each village and the township: identified and screened."""
    headers = []
    for label, _, _, _ in _rows(data):
        headers += [f"{label} 识别", f"{label} 已摸排"]
    headers.append("全乡摸排率")
    table = Table(
        "outreach",
        "十二类重点人群排查",
        headers,
        note="识别 = 研判计算出的类别与村里登记的类别合并（按户去重）；"
        "已摸排 = 其中村里已标记摸排完成的户（与摸排进度、截止检查同一口径）。",
    )
    for g in GROUPS:
        cells = []
        for _, f, vid, _ in _rows(data):
            cells.append(Cell(f[f"group_{g}"], key=f"group_{g}", village_id=vid))
            cells.append(Cell(f[f"group_{g}_screened"], key=f"group_{g}_screened", village_id=vid))
        total = data["total"]
        cells.append(Cell(ratio(total[f"group_{g}_screened"], total[f"group_{g}"]), pct=True))
        table.rows.append(Row(PriorityGroup(g).label, cells))
    return table


def all_tables(data) -> list[Table]:
    return [
        progress_table(data),
        deadline_table(data),
        coverage_table(data),
        changes_table(data),
        exits_table(data),
        scope_table(data),
        screening_table(data),
        decisions_table(data),
        outreach_table(data),
    ]


def workbook_bytes(data: dict, *, title: str, computed_at: str) -> bytes:
    """Every table on its own sheet (a count with a share gets a 比例 column after it)."""
    from openpyxl import Workbook

    from .xlsx import Col, ListSheet, safe_row

    workbook = Workbook(write_only=True)
    info = workbook.create_sheet("说明")
    for line in ([title], ["数据更新于", computed_at], ["统计日期", data["as_of"]]):
        info.append(safe_row(info, line))
    for table in all_tables(data):
        last = table.rows[-1].cells  # the total row is always there
        columns = [Col("村", 14)]
        for header, cell in zip(table.headers, last, strict=True):
            columns.append(Col(header, 10, "percent" if cell.pct else "int"))
            if cell.has_share:
                columns.append(Col(f"{header}比例", 10, "percent"))
        sheet = ListSheet(workbook, table.title, columns)
        for row in table.rows:
            values = [row.label]
            for c in row.cells:
                values.append(c.value)
                if c.has_share:
                    values.append(c.share)
            sheet.append(values)
        sheet.close()
        if table.note:
            sheet.ws.append(safe_row(sheet.ws, ["说明：" + table.note]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def stages(figures: dict) -> list[tuple[str, int, int, str]]:
    """The stage funnel: (label, done, base, key) from 摸排 to 归档."""
    f = figures
    return [
        ("摸排", f["outreach_done"], f["outreach_due"], "outreach_done"),
        ("信息比对", f["datamatch_done"], f["cases"], "datamatch_done"),
        ("入户调查", f["visit_done"], f["cases"], "visit_done"),
        ("审核", f["reviewed"], f["cases"], "reviewed"),
        ("公示（含报县）", f["noticed"], f["cases"], "noticed"),
        ("归档", f["archived"], f["cases"], "archived"),
    ]


def days_left(deadline: date, today: date) -> dict:
    """How far a deadline is: {"days": n, "passed": bool, "text": "..."}."""
    n = (deadline - today).days
    if n > 0:
        text = f"还剩 {n} 天"
    elif n == 0:
        text = "今天截止"
    else:
        text = f"已过截止日 {-n} 天"
    return {"date": deadline, "days": n, "passed": n < 0, "text": text}
