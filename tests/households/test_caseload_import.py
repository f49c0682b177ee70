"""Importing the existing caseload (issue 16 point 2): the 救助记录 / 申请记录 sheets of the
household import, and 在册对象导入 from the county's roster."""

import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from households.importing import import_households_file
from households.importing.roster import ROSTER, build_roster_template, import_roster_file
from households.models import Application, AssistanceRecord, Household, Member
from tests.households.factories import id_for, member, upload, xlsx_bytes

pytestmark = pytest.mark.django_db
TODAY = date(2022, 11, 10)


@pytest.fixture(autouse=True)
def pinned(settings):
    settings.APP_TODAY = TODAY


def run(actor, sheets):
    return import_households_file(actor=actor, fileobj=io.BytesIO(xlsx_bytes(sheets)))


def record(code, name, kind="低保（整户）", start="2019-04-01", **extra) -> dict:
    return {"户编号": code, "成员姓名": name, "类别": kind, "起始日期": start} | extra


def family_sheets() -> dict:
    return {
        "家庭成员": [
            member("500240214201-H1", "张三", id_for(1), "户主", 村="保合村"),
            member("500240214201-H1", "李四", id_for(2), "妻子"),
        ],
        "救助记录": [
            record("500240214201-H1", "张三", 月保障金=420, 保障人数=2),
            record("500240214201-H1", "李四", 月保障金=420, 保障人数=2),
            record(
                "500240214201-H1",
                "张三",
                "低保边缘",
                "2017-01-01",
                终止日期="2019-04-01",
                退出原因="其他",
                退出原因说明="转为低保",
            ),
        ],
        "申请记录": [
            {
                "户编号": "500240214201-H1",
                "申请类别": "低保边缘",
                "申请日期": "2022-02-01",
                "结果": "未通过",
                "决定日期": date(2022, 3, 1),
                "原因": "家庭财产超标",
            }
        ],
    }


def test_register_sheets_import_once_and_a_second_run_changes_nothing(office_user, village_a):
    first = run(office_user, family_sheets())
    assert first.ok, [str(e) for e in first.errors]
    household = Household.objects.get(code="500240214201-H1")
    assert household.assistance_now == ",dibao,"
    records = AssistanceRecord.objects.filter(member__household=household)
    assert records.count() == 3 and set(records.values_list("source", flat=True)) == {"import"}
    ended = records.get(kind="marginal")
    assert ended.end_date == date(2019, 4, 1) and ended.exit_note == "转为低保"
    refused = Application.objects.get(household=household)
    assert (refused.outcome, refused.decided_on) == ("refused", date(2022, 3, 1))
    second = run(office_user, family_sheets())
    assert second.ok and records.count() == 3 and Application.objects.count() == 1
    assert second.summary.rows_created.get("救助记录") == 0


def test_register_errors_name_sheet_row_and_column_and_nothing_is_written(office_user, village_a):
    sheets = family_sheets()
    sheets["救助记录"].append(
        record("500240214201-H1", "李四", "特困", "2020-01-01")
    )  # overlaps 低保
    sheets["救助记录"].append(record("500240214201-H1", "张三", 起始日期="2023-01-01"))
    sheets["申请记录"][0]["原因"] = None
    result = run(office_user, sheets)
    assert not result.ok and not Household.objects.exists()
    where = {(e.sheet, e.row, e.column): e.message for e in result.errors}
    assert "时间重叠" in where[("救助记录", 5, "起始日期")]
    assert "晚于今天" in where[("救助记录", 6, "起始日期")]
    assert "回头看" in where[("申请记录", 2, "原因")]


def test_register_sheets_alone_update_registered_households(office_user, village_a):
    assert run(office_user, {"家庭成员": family_sheets()["家庭成员"]}).ok
    result = run(
        office_user,
        {
            "救助记录": [
                record("500240214201-H1", "李四", "低保（单人户）", 单人户依据="一级肢体残疾")
            ]
        },
    )
    assert result.ok, [str(e) for e in result.errors]
    assert Member.objects.get(name="李四").assistance.get().kind == "dibao_single"


# ---- 在册对象导入 ------------------------------------------------------------------------------


def roster_bytes(rows: list[list]) -> bytes:
    return build_roster_template(rows)


def roster_row(head_id, name, id_number, relation="户主", kind="低保（整户）", **extra) -> list:
    values = {
        "村": "保合村",
        "户主姓名": "王五",
        "户主身份证号": head_id,
        "姓名": name,
        "身份证号": id_number,
        "与户主关系": relation,
        "救助类别": kind,
        "起始日期": "2020-06-01",
        "月保障金": 500,
        "保障人数": 2,
    } | extra
    return [values.get(c.header) for c in ROSTER.columns]


def test_roster_creates_unknown_households_matches_known_ones_and_runs_twice(
    office_user, village_a
):
    assert run(office_user, {"家庭成员": family_sheets()["家庭成员"]}).ok  # H1 is registered
    rows = [
        roster_row(id_for(10), "王五", id_for(10)),
        roster_row(id_for(10), "赵六", id_for(11), "配偶"),
        roster_row(
            id_for(1), "张三", id_for(1), 户主姓名="张三", 救助类别="低保边缘", 月保障金=None
        ),
    ]
    result = import_roster_file(actor=office_user, fileobj=io.BytesIO(roster_bytes(rows)))
    assert result.ok, [str(e) for e in result.errors]
    new = Household.objects.get(code=result.households_created[0])
    assert new.code.startswith(village_a.code + "-") and new.referral_source == "existing"
    assert sorted(new.members.values_list("name", flat=True)) == ["王五", "赵六"]
    assert set(new.members.values_list("assistance__kind", flat=True)) == {"dibao"}
    assert Member.objects.get(name="张三").assistance.get().kind == "marginal"
    assert AssistanceRecord.objects.filter(source="roster").count() == 3
    again = import_roster_file(actor=office_user, fileobj=io.BytesIO(roster_bytes(rows)))
    assert again.ok and again.records_created == 0 and again.records_unchanged == 3
    assert Household.objects.count() == 2 and AssistanceRecord.objects.count() == 3


def test_roster_errors_are_located_and_the_import_is_all_or_nothing(office_user, village_a):
    rows = [
        roster_row(id_for(10), "王五", id_for(10)),
        roster_row(id_for(10), "赵六", "500240199901011234", "配偶"),  # bad check digit
        roster_row(id_for(12), "钱七", id_for(12), 救助类别="低保", 起始日期="明年"),
    ]
    result = import_roster_file(actor=office_user, fileobj=io.BytesIO(roster_bytes(rows)))
    assert not result.ok and not Household.objects.exists()
    where = {(e.sheet, e.row, e.column) for e in result.errors}
    assert ("在册对象", 3, "身份证号") in where
    assert ("在册对象", 4, "起始日期") in where
    assert all(e.letter for e in result.errors if e.row)


def test_roster_import_is_for_the_office_and_scoped(client_for, officer_a, village_a):
    data = roster_bytes([roster_row(id_for(10), "王五", id_for(10))])
    response = client_for(officer_a).post(
        reverse("households:import_roster"), {"file": upload(data, "在册.xlsx")}
    )
    assert response.status_code == 403 and not Household.objects.exists()


def test_roster_page_and_command(client_for, office_user, village_a, tmp_path):
    data = roster_bytes([roster_row(id_for(10), "王五", id_for(10))])
    response = client_for(office_user).post(
        reverse("households:import_roster"), {"file": upload(data, "在册.xlsx")}
    )
    assert "导入成功" in response.content.decode() and Household.objects.count() == 1
    path = tmp_path / "在册.xlsx"
    path.write_bytes(roster_bytes([roster_row(id_for(20), "孙八", id_for(20))]))
    call_command("import_roster", str(path), verbosity=0)
    assert Household.objects.count() == 2
    bad = Workbook()
    bad.active.title = "别的表"
    buffer = io.BytesIO()
    bad.save(buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(CommandError):
        call_command("import_roster", str(path), verbosity=0)


def test_shipped_sample_imports_cleanly_on_the_demo(office_user):
    from households.demo_caseload import load_demo_registry

    load_demo_registry()
    sample = Path(settings.BASE_DIR) / "fixtures" / "roster_import_sample.xlsx"
    with sample.open("rb") as fh:
        result = import_roster_file(actor=office_user, fileobj=fh)
    assert result.ok, [str(e) for e in result.errors]
    assert result.records_created >= 2 and result.households_created


def test_roster_format_doc_names_every_column():
    doc = (Path(settings.BASE_DIR) / "households" / "ROSTER_IMPORT_FORMAT.md").read_text()
    for col in ROSTER.columns:
        assert f"| {col.header} |" in doc
