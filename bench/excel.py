"""P-1 (household import) and P-2 (roster export), each next to bare openpyxl on the same data."""

from __future__ import annotations

import io
import random
import statistics
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

from archives.rosters import write_roster
from households import synthetic
from households.importing import columns as C
from households.models import Village

from .measure import Row, run_json

ROSTER_CHUNK = 2000  # archives.rosters reads the roster with iterator(chunk_size=2000)
IMPORT_ID_SEQUENCES = (0, 10)  # never used by the demo (10–199) or the scale data (200–999)
FILL_FEATURES = {"elderly_alone"}  # one-person households to fill the last rows exactly


def _cell(col: C.Column, value):
    """The value as a clerk types it: labels for choices, 是/否, 2级, numbers as numbers."""
    if value is None or value == "":
        return None
    if col.kind == "bool":
        return "是" if value else "否"
    if col.kind == "grade":
        return f"{value}级"
    if col.kind == "choice":
        return dict(col.choices).get(value, value)
    if col.kind == "money":
        return float(value)
    return value


def _sheet(wb: Workbook, spec: C.Sheet):
    ws = wb.create_sheet(spec.name)
    ws.append([c.header for c in spec.columns])
    return ws


def _append(ws, spec: C.Sheet, values: dict) -> None:
    ws.append([_cell(c, values.get(c.key)) for c in spec.columns])


def write_import_file(path: Path, *, member_rows: int, seed: int = 7) -> dict:
    """A valid import workbook of new households with exactly `member_rows` member rows.

    People, incomes, assets and rigid expenses come from households.synthetic (the generator the
    scale data uses), spread over the villages and groups already in the database.
    """
    villages = [
        (v.code, sorted(g.number for g in v.groups.all()))
        for v in Village.objects.prefetch_related("groups").order_by("code")
        if v.groups.exists()
    ]
    builder = synthetic.HouseholdBuilder(seed, id_sequences=IMPORT_ID_SEQUENCES)
    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    sheets = {spec.name: _sheet(wb, spec) for spec in C.SHEETS}
    counts = dict.fromkeys(sheets, 0)
    written = serial = 0
    while written < member_rows:
        hh = builder.household(features=set())
        if written + len(hh["members"]) > member_rows:
            hh = builder.household(features=set(FILL_FEATURES))
            if written + len(hh["members"]) > member_rows:
                continue
        serial += 1
        code, groups = villages[serial % len(villages)]
        written += _write_household(sheets, counts, hh, code, rng.choice(groups), serial)
    wb.save(path)
    counts["total"] = sum(counts.values())
    counts["households"] = serial
    counts["bytes"] = path.stat().st_size
    return counts


def _write_household(sheets, counts, hh: dict, village: str, group: int, serial: int) -> int:
    code = f"{village}-IMP{serial:07d}"  # a new code starts with its village's code (19.8)
    names = [m["name"] for m in hh["members"]]
    unique = {n for n in names if names.count(n) == 1}
    household = {
        "code": code,
        "village": village,
        "group": f"{group}组",
        "address": f"{group}组{serial % 150 + 1}号",
        "hukou_type": hh.get("hukou_type"),
        "referral_source": hh.get("referral_source"),
    }
    for i, member in enumerate(hh["members"]):
        _append(
            sheets["家庭成员"], C.MEMBERS, {**(household if i == 0 else {"code": code}), **member}
        )
    counts["家庭成员"] += len(hh["members"])

    def member_name(index):
        name = None if index is None else names[index]
        return name if name in unique else None

    for income in hh["incomes"]:
        values = {**income, "code": code, "member_name": member_name(income["member"])}
        _append(sheets["收入"], C.INCOMES, values)
        counts["收入"] += 1
    for asset in hh["assets"]:
        values = {**asset, "code": code, "member_name": member_name(asset["member"])}
        _append(sheets["财产"], C.ASSETS, values)
        counts["财产"] += 1
    for expense in hh["expenses"]:
        _append(sheets["刚性支出"], C.EXPENSES, {**expense, "code": code})
        counts["刚性支出"] += 1
    return len(hh["members"])


def import_rows(*, env: dict, folder: Path, member_rows: int, username: str) -> list[Row]:
    """Import rows/s ÷ bare read-only rows/s over the same file; peak RSS of the import."""
    path = folder / f"import-{member_rows}.xlsx"
    counts = write_import_file(path, member_rows=member_rows)
    args = [str(path)]
    bare_first = run_json(["read", *args], env=env)
    imported = run_json(["import", *args, username], env=env)
    bare_second = run_json(["read", *args], env=env)
    if not imported["ok"]:
        raise RuntimeError(f"导入失败：{imported['error_count']} 处错误，如 {imported['errors']}")
    rows = counts["total"]
    bare_seconds = statistics.mean([bare_first["seconds"], bare_second["seconds"]])
    bare_rate, import_rate = rows / bare_seconds, rows / imported["seconds"]
    bare_peak = max(bare_first["peak_rss_mb"], bare_second["peak_rss_mb"])
    sheets = "、".join(f"{name} {counts[name]:,} 行" for name in (s.name for s in C.SHEETS))
    file_mb = counts["bytes"] / 1e6
    return [
        Row(
            "import",
            "Excel导入 行/秒 ÷ openpyxl只读遍历 行/秒",
            import_rate,
            bare_rate,
            "行/s",
            "≥ 0.2",
            ratio=import_rate / bare_rate,
            passed=import_rate / bare_rate >= 0.2,
            note=(
                f"同一文件（{sheets}，共 {rows:,} 行，{file_mb:.1f} MB，{counts['households']:,} 户新家庭）："
                f"导入用时 {imported['seconds']:.1f} 秒（解析、逐格校验、查重、一个事务写入并记审计；"
                f"导入后排队的重新研判 {imported['rescreen_queued']:,} 户不计时）；只读遍历用时"
                f" {bare_first['seconds']:.1f} / {bare_second['seconds']:.1f} 秒（导入前后各一次，取平均）。"
                f"结果：{imported['summary']}"
            ),
            extra={"counts": counts, "import": imported, "read": [bare_first, bare_second]},
        ),
        Row(
            "import_memory",
            f"Excel导入峰值内存（家庭成员 {counts['家庭成员']:,} 行）",
            imported["peak_rss_mb"],
            bare_peak,
            "MB",
            "≤ 300 MB",
            ratio=imported["peak_rss_mb"] / bare_peak,
            passed=imported["peak_rss_mb"] <= 300,
            note=(
                "峰值内存 = 独立子进程的峰值常驻内存（/proc/self/status 的 VmHWM，含 Django 本身，"
                f"导入开始前 {imported['rss_before_mb']:.0f} MB）；基准值为同样子进程只读遍历同一文件的峰值；"
                f"文件 {file_mb:.1f} MB，峰值为文件大小的 {imported['peak_rss_mb'] / file_mb:.0f} 倍。"
            ),
        ),
    ]


def _roster_values(data: bytes) -> list[tuple]:
    """The body rows the roster wrote (header, title and footer rows left out)."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [r for r in wb.worksheets[0].iter_rows(min_row=5, values_only=True)]
    wb.close()
    return [r for r in rows if r and isinstance(r[0], int)]


def _bare_write(values: list[tuple]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("低保")
    for row in values:
        ws.append(row)
    wb.save(io.BytesIO())


def export_rows(*, env: dict, user, half_user, repeat: int = 3) -> list[Row]:
    """Roster rows/s ÷ write-only append of the same values; peak RSS at N and 2N rows."""
    first = io.BytesIO()
    result = write_roster(first, user=user, kind="dibao")
    values = _roster_values(first.getvalue())
    roster_times, bare_times = [], []
    for _ in range(repeat):  # alternate, so a change in machine load hits both alike
        started = time.perf_counter()
        write_roster(io.BytesIO(), user=user, kind="dibao")
        roster_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        _bare_write(values)
        bare_times.append(time.perf_counter() - started)
    rows = result.rows
    roster_rate = rows / statistics.median(roster_times)
    bare_rate = len(values) / statistics.median(bare_times)
    small = run_json(["roster", half_user.username], env=env)
    large = run_json(["roster", user.username], env=env)
    growth = large["traced_peak_mb"] / small["traced_peak_mb"]
    # Below one read chunk the smaller export holds fewer rows at once: nothing to judge.
    judged = small["rows"] >= ROSTER_CHUNK
    return [
        Row(
            "export",
            "花名册导出 行/秒 ÷ openpyxl只写追加 行/秒",
            roster_rate,
            bare_rate,
            "行/s",
            "≥ 0.5",
            ratio=roster_rate / bare_rate,
            passed=roster_rate / bare_rate >= 0.5,
            note=(
                f"低保花名册 {rows:,} 行（查询、身份证号打码、公式字符转义、样式、合并单元格、页面设置）"
                f"对比把同样的值逐行追加到只写工作簿并保存；各 {repeat} 次交替运行取中位数。"
            ),
        ),
        Row(
            "export_memory",
            f"花名册导出内存峰值：{large['rows']:,} 行 ÷ {small['rows']:,} 行",
            large["traced_peak_mb"],
            small["traced_peak_mb"],
            "MB",
            "≤ 1.2（平稳）",
            ratio=growth,
            passed=growth <= 1.2 if judged else None,
            note=(
                (
                    ""
                    if judged
                    else f"较小的一份不足一个读取块（{ROSTER_CHUNK:,} 行），不作判定（用更多户数再测）。"
                )
                + "独立子进程中用 tracemalloc 记录导出期间 Python 分配的峰值（不含 Django 本身）；"
                f"进程峰值常驻内存（VmHWM）为 {large['peak_rss_mb']:.0f} / {small['peak_rss_mb']:.0f} MB。"
                f"{small['rows']:,} 行为较小乡镇的民政办账户，{large['rows']:,} 行为县级账户（全部乡镇），"
                f"行数为 {large['rows'] / max(small['rows'], 1):.1f} 倍。"
            ),
        ),
    ]


def smaller_township_user():
    """A 民政办 account of the township with the fewer roster rows (half or less of the county)."""
    from django.contrib.auth.hashers import make_password

    from archives.rosters import roster_queryset
    from households.models import Township
    from xixin_dibao.models import Role, User

    from .data import PASSWORD

    best = None
    for township in Township.objects.filter(village__household__isnull=False).distinct():
        user, _ = User.objects.update_or_create(
            username=f"bench_township_{township.pk}",
            defaults={
                "role": Role.OFFICE,
                "township": township,
                "password": make_password(PASSWORD),
            },
        )
        rows = roster_queryset(user=user, kind="dibao").count()
        if best is None or rows < best[0]:
            best = (rows, user)
    return best[1]
