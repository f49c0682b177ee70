"""SVG charts: well-formed, labels escaped, values drawn to scale."""

from datetime import date
from xml.etree import ElementTree

from xixin_dibao import charts

NS = "{http://www.w3.org/2000/svg}"


def parse(svg):
    return ElementTree.fromstring(str(svg))


def test_progress_bars_escape_labels_and_scale_widths():
    svg = charts.progress_bars(
        ["<script>村", "二村"], [("摸排", [0.5, None]), ("核查", [1.0, 0.0])], title="各村进度"
    )
    assert "<script>" not in svg and "&lt;script&gt;村" in svg
    root = parse(svg)
    tips = {
        r.find(f"{NS}title").text: float(r.get("width"))
        for r in root.iter(f"{NS}rect")
        if r.find(f"{NS}title") is not None
    }
    assert tips["<script>村 摸排 50.0%"] == 260
    assert tips["<script>村 核查 100.0%"] == 520
    assert "—" in svg  # no work: no bar, a dash


def test_funnel_width_follows_done():
    root = parse(charts.funnel([("摸排", 6, 7), ("归档", 3, 8)], title="t"))
    bars = [r for r in root.iter(f"{NS}rect") if r.find(f"{NS}title") is not None]
    # Widths are to one scale: the largest number on the chart (8) fills the 460-unit track.
    assert [float(b.get("width")) for b in bars] == [345.0, 172.5]
    assert "6 / 7（85.7%）" in ElementTree.tostring(root, encoding="unicode")


def test_line_chart_marks_points_below_the_baseline_red():
    svg = charts.line_chart(
        [(date(2022, 11, 1), 12), (date(2022, 11, 2), 9)], baseline=10, title="覆盖面"
    )
    root = parse(svg)
    colours = [c.get("fill") for c in root.iter(f"{NS}circle")]
    assert colours == [charts.BLUE, charts.RED]
    assert "2021年底 10人" in svg and "11月2日" in svg


def test_line_chart_without_history():
    svg = charts.line_chart([], baseline=0, title="覆盖面")
    assert "暂无历史数据" in svg
    parse(svg)
