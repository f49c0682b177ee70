"""Household list export: scoping, masking, formula escaping (S-16), flat query count, jobs."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from households.importing import columns as C
from households.xlsx_cells import safe_cell_value, safe_row
from tests.factories import HouseholdFactory, MemberFactory
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db
FULL_ID = re.compile(r"\d{17}[\dXx]")
NASTY = [
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "＝1+1",
    "＋1",
    "－1",
    "＠x",
]


def as_read(text: str) -> str:
    """openpyxl stores a CR as _x000D_, so every text comes back exactly as written."""
    return text


def exported(response):
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(data))  # data_only=False: formulas would show up as 'f'


def rows_of(wb):
    return [[c.value for c in row] for row in wb.active.iter_rows()]


def column(rows, header: str) -> list:
    """The values under `header` (the data rows of a sheet's rows)."""
    at = rows[0].index(header)
    return [r[at] for r in rows[1:]]


# -- safe_cell_value / safe_cell ----------------------------------------------------------------


@pytest.mark.parametrize("text", NASTY)
def test_safe_cell_value_prefixes_formula_triggers(text):
    assert safe_cell_value(text) == "'" + text


@pytest.mark.parametrize("value", [-5, -2.5, Decimal("-3.10"), 0, None, True, "张三", "1-2", "a=b"])
def test_safe_cell_value_leaves_numbers_and_plain_text(value):
    assert safe_cell_value(value) == value


def test_safe_cell_value_strips_illegal_control_characters():
    assert safe_cell_value("\x00=1+1") == "'=1+1"
    assert safe_cell_value("a\x07b") == "ab"


def test_safe_values_round_trip_without_formulas(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("t")
    ws.append(safe_row(ws, NASTY + [-5, Decimal("-1.50")]))
    ws2 = Workbook().active
    ws2.append([safe_cell_value(v) for v in NASTY + [-5]])
    wb.save(tmp_path / "a.xlsx")
    ws2.parent.save(tmp_path / "b.xlsx")
    row = list(load_workbook(tmp_path / "a.xlsx").active.iter_rows())[0]
    assert [c.data_type for c in row] == ["s"] * len(NASTY) + ["n", "n"]
    assert [c.value for c in row[: len(NASTY)]] == [as_read(t) for t in NASTY]
    assert all(c.quotePrefix for c in row[: len(NASTY)]) and row[-2].value == -5
    row2 = list(load_workbook(tmp_path / "b.xlsx").active.iter_rows())[0]
    assert all(c.data_type != "f" for c in row2) and row2[-1].value == -5
    # CSV writers get the apostrophe too.
    out = io.StringIO()
    csv.writer(out).writerow([safe_cell_value(v) for v in NASTY])
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for cell in next(csv.reader(io.StringIO(out.getvalue())))
    )


# -- the export page -----------------------------------------------------------------------------


def test_officer_export_is_scoped_masked_and_escaped(client_for, officer_a, village_a, village_b):
    for i, text in enumerate(NASTY):
        household = HouseholdFactory(
            village=village_a, code=f"A{i:03d}", head_name=text, address=text
        )
        MemberFactory(household=household, relation="head")
    hidden = HouseholdFactory(village=village_b, code="B-ONLY")
    MemberFactory(household=hidden, relation="head")

    wb = exported(client_for(officer_a).get(reverse("households:export")))

    rows = rows_of(wb)
    assert wb.sheetnames == [s.name for s in C.SHEETS]  # the import's own sheets and columns
    assert rows[0] == [c.header for c in C.MEMBERS.columns]
    codes = column(rows, "户编号")
    assert len(codes) == len(NASTY) and "B-ONLY" not in codes
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert sorted(column(rows, "户主姓名")) == sorted(map(as_read, NASTY))  # kept, not altered
    assert all(FULL_ID.search(str(c.value or "")) is None for c in cells)
    assert all("*" in value for value in column(rows, "身份证号"))
    petitions = wb.active["AG"][1:]
    assert wb.active["AG1"].value == "低保信访次数"
    assert all(c.data_type == "n" and c.value == 0 for c in petitions)
    last = get_column_letter(len(C.MEMBERS.columns))
    assert wb.active.freeze_panes == "A2" and wb.active.auto_filter.ref == f"A1:{last}{len(rows)}"
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT, actor=officer_a).exists()


def test_export_uses_list_filters(client_for, office_user, village_a, village_b):
    for village, code, head in ((village_a, "A1", "张三"), (village_b, "B1", "李四")):
        household = HouseholdFactory(village=village, code=code, head_name=head)
        MemberFactory(household=household, relation="head")
    wb = exported(
        client_for(office_user).get(reverse("households:export"), {"village": village_b.pk})
    )
    assert [r[0] for r in rows_of(wb)[1:]] == ["B1"]
    wb = exported(client_for(office_user).get(reverse("households:export"), {"q": "张"}))
    assert [r[0] for r in rows_of(wb)[1:]] == ["A1"]
    wb = exported(client_for(office_user).get(reverse("households:export"), {"sort": "-code"}))
    assert [r[0] for r in rows_of(wb)[1:]] == ["B1", "A1"]


def test_reveal_needs_the_permission_and_is_audited(client_for, office_user, village_a):
    head = MemberFactory(household=HouseholdFactory(village=village_a), relation="head")
    wb = exported(client_for(office_user).get(reverse("households:export"), {"reveal": "1"}))
    assert column(rows_of(wb), "身份证号") != [head.id_number]
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REVEAL).exists()

    office_user.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    client = client_for(office_user)
    masked = rows_of(exported(client.get(reverse("households:export"))))
    assert column(masked, "身份证号") != [head.id_number]
    wb = exported(client.get(reverse("households:export"), {"reveal": "1"}))
    assert column(rows_of(wb), "身份证号") == [head.id_number]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REVEAL, actor=office_user).exists()


def test_leadership_and_anonymous_may_not_export(client_for, leader, client, village_a):
    HouseholdFactory(village=village_a)
    assert client_for(leader).get(reverse("households:export")).status_code == 403
    response = client.get(reverse("households:export"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_export_query_count_does_not_grow_with_rows(
    client_for, office_user, village_a, django_assert_max_num_queries
):
    client = client_for(office_user)
    for _ in range(3):
        MemberFactory(household=HouseholdFactory(village=village_a), relation="head")
    with django_assert_max_num_queries(20) as small:  # members and five record sheets
        exported(client.get(reverse("households:export")))
    for _ in range(40):
        MemberFactory(household=HouseholdFactory(village=village_a), relation="head")
    with django_assert_max_num_queries(len(small.captured_queries)):
        exported(client.get(reverse("households:export")))


def test_list_page_shows_the_buttons(client_for, officer_a, leader):
    page = client_for(officer_a).get(reverse("households:list")).content.decode()
    assert reverse("households:import") in page and reverse("households:export") in page
    assert client_for(leader).get(reverse("households:list")).status_code == 403


def test_large_export_runs_as_a_job(
    client_for, office_user, village_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 2
    for text in ("=1+1", "普通", "@x"):
        MemberFactory(
            household=HouseholdFactory(village=village_a, head_name=text), relation="head"
        )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(office_user).get(reverse("households:export"))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message == "已导出 3 户。"
    wb = load_workbook(Path(tmp_path, job.result_file))
    assert len(rows_of(wb)) == 4
    assert not [c for row in wb.active.iter_rows() for c in row if c.data_type == "f"]
    assert job.result_name.startswith("家庭台账-")


def test_reference_tables_import_by_code(village_a):
    import tablib

    from households.models import Village, VillageGroup
    from households.resources import VillageGroupResource, VillageResource

    villages = tablib.Dataset(headers=["code", "name", "township", "urban_rural_class"])
    villages.append([village_a.code, "保合村（改）", village_a.township.code, "220"])
    villages.append(["500240214209", "新村", village_a.township.code, "220"])
    result = VillageResource().import_data(villages, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Village.objects.get(code=village_a.code).name == "保合村（改）"
    assert Village.objects.filter(code="500240214209").exists()

    groups = tablib.Dataset(headers=["village", "number", "name"])
    groups.append([village_a.code, 1, "1组"])
    VillageGroupResource().import_data(groups, dry_run=False)
    VillageGroupResource().import_data(groups, dry_run=False)
    assert VillageGroup.objects.filter(village=village_a).count() == 1
