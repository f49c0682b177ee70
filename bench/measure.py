"""Timing, the machine description, subprocess measurements and the printed table."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

OK, FAIL, NONE = "✓", "✗", "—"
PG_SHOWN = ("shared_buffers", "work_mem", "random_page_cost", "effective_cache_size")


@dataclass
class Row:
    """One line of the table: a measurement next to the baseline measured in the same run."""

    key: str
    name: str
    measured: float | None
    baseline: float | None
    unit: str
    goal: str
    ratio: float | None = None
    passed: bool | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def cells(self) -> list[str]:
        return [
            self.name,
            _number(self.measured, self.unit),
            _number(self.baseline, self.unit),
            NONE if self.ratio is None else f"{self.ratio:.2f}",
            self.goal,
            NONE if self.passed is None else (OK if self.passed else FAIL),
        ]


def skipped(key: str, name: str, goal: str, note: str) -> Row:
    return Row(key, name, None, None, "", goal, note=note)


def _number(value, unit: str) -> str:
    if value is None:
        return NONE
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def median_time(fn, *, repeat: int = 3) -> float:
    """Median wall time of `fn()` over `repeat` runs, in seconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def p95(values: list[float]) -> float | None:
    """The 95th percentile (nearest rank), or None without samples."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
    return ordered[rank - 1]


def load_average() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return NONE


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def database_version() -> str:
    if connection.vendor == "postgresql":  # the server's maintenance database, not the user's
        with connection._nodb_cursor() as cursor:
            values = []
            for name in ("server_version", *PG_SHOWN):
                cursor.execute(f"SHOW {name}")
                values.append(cursor.fetchone()[0].split()[0])
        shown = ", ".join(f"{k}={v}" for k, v in zip(PG_SHOWN, values[1:], strict=True))
        return f"PostgreSQL {values[0]}（服务器设置 {shown}）"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def machine() -> dict:
    ram = _ram_gb()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1) if ram else None,
        "database": database_version(),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return out.stdout.strip() or NONE
    except (OSError, subprocess.SubprocessError):
        return NONE


def run_json(args: list[str], *, env: dict, timeout: float = 3600) -> dict:
    """Run `python -m bench.subproc …` (a fresh process) and return the JSON it prints last."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.subproc", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"子进程失败（{' '.join(args[:1])}）：{proc.stderr[-2000:]}")
    return json.loads(lines[-1])


# --- the table ------------------------------------------------------------------------------
HEADERS = ["名称", "测得值", "基准值", "比值", "目标", "是否达标"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def text_table(rows: list[Row]) -> str:
    body = [r.cells() for r in rows]
    widths = [max(_width(line[i]) for line in [HEADERS, *body]) for i in range(len(HEADERS))]
    lines = ["  ".join(_pad(h, w) for h, w in zip(HEADERS, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)) for cells in body]
    notes = [f"  [{r.key}] {r.note}" for r in rows if r.note]
    return "\n".join(lines + (["", "说明："] + notes if notes else []))


def markdown_table(rows: list[Row]) -> str:
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(esc(c) for c in r.cells()) + " |" for r in rows]
    notes = [f"- **{r.name}**：{r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def header_lines(info: dict) -> list[str]:
    m = info["machine"]
    ram = f"{m['ram_gb']} GB" if m["ram_gb"] else NONE
    return [
        f"机器：{m['cpu']}，{m['cores']} 核，内存 {ram}；数据库：{m['database']}；"
        f"Python {m['python']}；{m['os']}",
        f"时间：{info['started']} — {info['finished']}（用时 {info['seconds']:.0f} 秒），"
        f"代码版本 {info['commit']}",
        f"负载（1/5/15 分钟平均）：开始 {info['load_start']}，结束 {info['load_end']}"
        f"（{m['cores']} 核；负载高于核数时计时偏慢，比值是同一次运行中并排测得的）",
        f"参数：{info['options']}",
    ]


def to_json(rows: list[Row], info: dict) -> str:
    return json.dumps(
        {"info": info, "rows": [asdict(r) for r in rows]}, ensure_ascii=False, indent=2
    )
