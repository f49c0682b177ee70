"""The list writer every export uses: widths, frozen header, autofilter, print titles, types."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from xixin_dibao.xlsx import Col, save_list, sheet_title

COLUMNS = [
    Col("名称", 14),
    Col("人数", 6, "int"),
    Col("比例", 8, "percent"),
    Col("金额", 10, "money"),
    Col("日期", 12, "date"),
    Col("时间", 16, "datetime"),
]


def written(rows, **kwargs):
    out = io.BytesIO()
    count = save_list(out, "名单/测试", COLUMNS, rows, **kwargs)
    out.seek(0)
    return count, load_workbook(out).active


def test_a_list_sheet_is_typed_frozen_filtered_and_printable():
    at = datetime(2022, 11, 10, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
    count, ws = written(
        [["=1+1", 3, 0.756, Decimal("12.50"), date(2022, 1, 2), at], [None] * 6],
        intro=[["标题行"]],
    )
    assert count == 2 and ws.title == "名单_测试"
    assert [c.value for c in ws[2]] == [c.header for c in COLUMNS] and ws["A2"].font.b
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:F4"
    assert ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.column_dimensions["A"].width == 14 and ws.column_dimensions["F"].width == 16
    name, people, share, amount, day, time = ws[3]
    assert name.value == "=1+1" and name.data_type == "s" and name.quotePrefix
    assert (people.value, people.data_type, people.number_format) == (3, "n", "0")
    assert (share.value, share.data_type, share.number_format) == (0.756, "n", "0.0%")
    assert (amount.value, amount.number_format) == (12.5, "#,##0.00")
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert time.value == datetime(2022, 11, 10, 10, 30) and time.number_format.endswith("hh:mm")
    assert all(c.value is None for c in ws[4])


def test_an_empty_list_still_has_its_header_and_filter():
    count, ws = written([])
    assert count == 0 and ws.auto_filter.ref == "A1:F1" and ws.freeze_panes == "A2"


def test_sheet_titles_are_valid():
    assert sheet_title("a[b]:c*d?e/f\\g") == "a_b__c_d_e_f_g"
    assert len(sheet_title("长" * 40)) == 31
