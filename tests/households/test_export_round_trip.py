"""The household export imports back unchanged: same data, no errors, nothing written."""

import io

import pytest
from openpyxl import load_workbook

from households.demo_caseload import load_demo_registry
from households.exporting import write_households_xlsx
from households.importing import import_households_file
from households.models import (
    Application,
    Asset,
    AssistanceRecord,
    Expense,
    Household,
    Income,
    Member,
)

pytestmark = pytest.mark.django_db
MODELS = (Household, Member, Income, Asset, Expense, AssistanceRecord, Application)


def snapshot() -> dict:
    """Every row of every registry table, every field (timestamps and versions included)."""
    return {m.__name__: sorted(m.objects.order_by("pk").values_list()) for m in MODELS}


def test_full_id_export_imports_back_unchanged():
    load_demo_registry()
    before = snapshot()
    assert all(before[name] for name in ("Member", "Income", "AssistanceRecord", "Application"))
    out = io.BytesIO()
    count = write_households_xlsx(out, households=Household.objects.all(), reveal=True)
    assert count == Household.objects.count()

    out.seek(0)
    result = import_households_file(actor=None, fileobj=out, filename="export.xlsx")

    assert result.ok, [str(e) for e in result.errors[:10]]
    summary = result.summary
    assert summary.households_unchanged == count
    assert (summary.households_created, summary.households_updated) == (0, 0)
    assert (summary.members_created, summary.members_updated) == (0, 0)
    assert not any(summary.rows_created.values()) and not any(summary.rows_deleted.values())
    assert snapshot() == before


def test_export_sheets_are_typed_lists():
    load_demo_registry()
    out = io.BytesIO()
    write_households_xlsx(out, households=Household.objects.all())
    wb = load_workbook(out)
    incomes = wb["收入"]
    header = [c.value for c in incomes[1]]
    amounts = [row[header.index("金额")] for row in incomes.iter_rows(min_row=2)]
    assert amounts and all(c.data_type == "n" and c.number_format == "#,##0.00" for c in amounts)
    records = wb["救助记录"]
    header = [c.value for c in records[1]]
    starts = [row[header.index("起始日期")] for row in records.iter_rows(min_row=2)]
    assert starts and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in starts)
    for ws in wb:
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws.print_title_rows == "$1:$1"
