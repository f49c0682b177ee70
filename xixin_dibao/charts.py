"""Small SVG charts drawn on the server: no JavaScript, no CDN, print and PDF as they are.

Each function returns SVG markup (marked safe; every label is escaped) sized by its viewBox, so
the chart scales to the width of its container on screen and on an A4 page.
"""

from __future__ import annotations

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BLUE, GREEN, AMBER, RED, GRAY = "#1f5fa8", "#1e8449", "#b9770e", "#c0392b", "#e5e8eb"
SERIES_COLOURS = [BLUE, GREEN, AMBER, "#7d3c98", "#148f77", "#566573"]


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" class="chart" font-size="12" '
        f'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x, y, text, *, anchor="start", size=12, colour="#1d2733", weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{colour}" font-weight="{weight}">{escape(text)}</text>'
    )


def _rect(x, y, w, h, colour, label="") -> str:
    tip = f"<title>{escape(label)}</title>" if label else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{colour}">{tip}</rect>'


def percent_text(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio * 100:.1f}%"


def progress_bars(
    categories: list[str], series: list[tuple[str, list[float | None]]], *, title: str
) -> SafeString:
    """Horizontal grouped bars, one group per category, values as ratios 0–1 (None = no work)."""
    label_w, bar_w, bar_h, gap = 110, 520, 14, 10
    width = label_w + bar_w + 70
    legend_h = 26
    group_h = len(series) * (bar_h + 3) + gap
    height = legend_h + max(len(categories), 1) * group_h + 24
    body = []
    for i, (name, _) in enumerate(series):
        x = label_w + i * 150
        body.append(_rect(x, 6, 12, 12, SERIES_COLOURS[i % len(SERIES_COLOURS)]))
        body.append(_text(x + 16, 17, name))
    for tick in (0, 0.5, 1):
        x = label_w + bar_w * tick
        body.append(
            f'<line x1="{x:.1f}" y1="{legend_h}" x2="{x:.1f}" y2="{height - 18}" '
            f'stroke="#c9d1d9" stroke-dasharray="3,3"/>'
        )
        body.append(_text(x, height - 4, f"{int(tick * 100)}%", anchor="middle", size=11))
    for c, category in enumerate(categories):
        top = legend_h + c * group_h
        mid = top + len(series) * (bar_h + 3) / 2 + 4
        body.append(_text(label_w - 8, mid, category, anchor="end", weight="bold"))
        for s, (name, values) in enumerate(series):
            ratio = values[c]
            y = top + s * (bar_h + 3)
            colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
            body.append(_rect(label_w, y, bar_w, bar_h, GRAY))
            if ratio is not None:
                tip = f"{category} {name} {percent_text(ratio)}"
                body.append(_rect(label_w, y, bar_w * min(ratio, 1), bar_h, colour, tip))
            body.append(_text(label_w + bar_w + 6, y + bar_h - 2, percent_text(ratio), size=11))
    return _svg(width, height, title, body)


def funnel(stages: list[tuple[str, int, int]], *, title: str) -> SafeString:
    """The stage funnel: one centred bar per stage, width ∝ households done (label, done, base)."""
    label_w, bar_w, bar_h, gap = 150, 460, 24, 8
    width = label_w + bar_w + 110
    height = len(stages) * (bar_h + gap) + 8
    biggest = max([max(done, base) for _, done, base in stages] or [0]) or 1
    body = []
    for i, (label, done, base) in enumerate(stages):
        y = 4 + i * (bar_h + gap)
        w = bar_w * done / biggest
        x = label_w + (bar_w - w) / 2
        ratio = done / base if base else None
        body.append(_text(label_w - 8, y + bar_h - 7, label, anchor="end", weight="bold"))
        body.append(_rect(label_w, y, bar_w, bar_h, "#f4f6f8"))
        body.append(_rect(x, y, w, bar_h, BLUE, f"{label} {done}/{base}"))
        body.append(
            _text(label_w + bar_w + 8, y + bar_h - 7, f"{done} / {base}（{percent_text(ratio)}）")
        )
    return _svg(width, height, title, body)


def _nice_top(value: int) -> int:
    """A round axis maximum at or above `value`."""
    if value <= 10:
        return 10
    step = 10 ** (len(str(value)) - 1)
    return ((value + step - 1) // step) * step


def line_chart(
    points: list[tuple[date, int]], *, baseline: int, title: str, unit: str = "人"
) -> SafeString:
    """Coverage over time against the end-2021 baseline (dashed red line)."""
    left, right, top, bottom = 60, 20, 16, 36
    plot_w, plot_h = 760, 190
    width, height = left + plot_w + right, top + plot_h + bottom
    values = [v for _, v in points] + [baseline]
    low = min(values)
    floor = 0 if low < 10 else max(0, int(low * 0.9))
    ceiling = _nice_top(max(values) + 1)
    span = (ceiling - floor) or 1

    def y_of(v: float) -> float:
        return top + plot_h - (v - floor) / span * plot_h

    body = [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fbfcfd" '
        f'stroke="#d7dde4"/>'
    ]
    for k in range(5):
        v = floor + span * k / 4
        body.append(_text(left - 6, y_of(v) + 4, f"{v:.0f}", anchor="end", size=11))
    by = y_of(baseline)
    body.append(
        f'<line x1="{left}" y1="{by:.1f}" x2="{left + plot_w}" y2="{by:.1f}" stroke="{RED}" '
        f'stroke-width="1.5" stroke-dasharray="6,4"/>'
    )
    body.append(
        _text(
            left + plot_w - 4,
            by - 5,
            f"2021年底 {baseline}{unit}",
            anchor="end",
            colour=RED,
            size=11,
        )
    )
    if not points:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, "暂无历史数据", anchor="middle"))
        return _svg(width, height, title, body)
    n = len(points)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    coords = [(x_of(i), y_of(v)) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
    for (x, y), (day, v) in zip(coords, points, strict=True):
        colour = RED if v < baseline else BLUE
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
            f"<title>{escape(f'{day:%m月%d日} {v}{unit}')}</title></circle>"
        )
    step = max(1, (n + 5) // 6)
    for i in sorted({*range(0, n, step), n - 1}):
        day = points[i][0]
        body.append(
            _text(x_of(i), top + plot_h + 16, f"{day.month}月{day.day}日", anchor="middle", size=11)
        )
    last = points[-1][1]
    body.append(
        _text(
            coords[-1][0],
            coords[-1][1] - 8,
            f"{last}{unit}",
            anchor="end",
            colour=RED if last < baseline else BLUE,
            weight="bold",
        )
    )
    return _svg(width, height, title, body)
