"""The demo township's caseload goes in through the front door: the household import.

`build_demo_fixture` writes the demo registry (households, members, incomes …) as
fixtures/demo.json and the assistance records and past applications as
fixtures/demo_caseload.xlsx, in the 救助记录 / 申请记录 sheets a township fills in. `load_demo_registry`
loads the first with loaddata and imports the second exactly as a township's own file is imported.
"""

import io
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from .importing import columns as C
from .models import Application, AssistanceRecord

CASELOAD_TABLES = ("assistancerecord", "application")
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
CASELOAD_FILE = FIXTURES / "demo_caseload.xlsx"

KIND = dict(AssistanceRecord.Kind.choices)
EXIT = dict(AssistanceRecord.ExitReason.choices)
OUTCOME = dict(Application.Outcome.choices)


def caseload_rows(rows: dict[str, list[dict]]) -> dict[str, list[list]]:
    """The 救助记录 and 申请记录 rows of generated registry rows (as synthetic.flatten gives)."""
    codes = {h["id"]: h["code"] for h in rows["household"]}
    members = {m["id"]: m for m in rows["member"]}
    assistance = []
    for r in rows["assistancerecord"]:
        m = members[r["member_id"]]
        assistance.append(
            [
                codes[m["household_id"]],
                m["name"],
                KIND[r["kind"]],
                r["start_date"],
                r["end_date"],
                EXIT[r["exit_reason"]] if r["exit_reason"] else None,
                r.get("exit_note") or None,
                r["monthly_amount"],
                r.get("people_covered"),
                r["single_person_basis"] or None,
            ]
        )
    applications = [
        [
            codes[a["household_id"]],
            KIND[a["kind"]],
            a["applied_on"],
            OUTCOME[a["outcome"]],
            a.get("decided_on"),
            a["reason"] or None,
        ]
        for a in rows["application"]
    ]
    return {C.ASSISTANCE.name: assistance, C.APPLICATIONS.name: applications}


def caseload_workbook(sheets: dict[str, list[list]]) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for spec in (C.ASSISTANCE, C.APPLICATIONS):
        ws = wb.create_sheet(spec.name)
        ws.append([c.header for c in spec.columns])
        for row in sheets[spec.name]:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read_caseload(path=CASELOAD_FILE) -> dict[str, list[list]]:
    """The rows of a caseload workbook as plain values (for the up-to-date check)."""
    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return {
            ws.title: [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def load_demo_registry(actor=None):
    """Reference data, the demo registry and, through the household import, its caseload."""
    from .importing import import_households_file

    call_command(
        "loaddata", str(FIXTURES / "reference.json"), str(FIXTURES / "demo.json"), verbosity=0
    )
    with CASELOAD_FILE.open("rb") as fh:
        result = import_households_file(actor=actor, fileobj=fh, filename=CASELOAD_FILE.name)
    if not result.ok:
        raise RuntimeError("演示救助记录导入失败：" + "；".join(str(e) for e in result.errors[:5]))
    return result
