import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from households.importing import import_households_file
from households.models import Asset, Expense, Household, Income, Member
from tests.factories import HouseholdFactory, MemberFactory, VillageGroupFactory, make_id_number
from tests.households.factories import household_rows, id_for, income, member, upload, xlsx_bytes
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def run(actor, sheets, **kwargs):
    return import_households_file(actor=actor, fileobj=io.BytesIO(xlsx_bytes(sheets)), **kwargs)


def counts():
    return (
        Household.objects.count(),
        Member.objects.count(),
        Income.objects.count(),
        AuditEvent.objects.exclude(kind=AuditEvent.Kind.IMPORT).count(),
    )


def errors_at(result, sheet, row, column):
    return [e for e in result.errors if (e.sheet, e.row, e.column) == (sheet, row, column)]


@pytest.fixture
def groups_a(village_a):
    return [VillageGroupFactory(village=village_a, number=n, name=f"{n}组") for n in (1, 2)]


def test_import_creates_households_members_incomes_with_audit(officer_a, village_a, groups_a):
    head = id_for(1)
    result = run(
        officer_a,
        {
            "家庭成员": [
                member(
                    "500240214201-H1",
                    "张三",
                    head,
                    "户主",
                    村="保合村",
                    村民组="2组",
                    住址="保合村2组",
                    户籍类型="农业户口",
                ),
                member(
                    "500240214201-H1",
                    "李四",
                    id_for(2),
                    "妻子",
                    残疾类别="肢体",
                    残疾等级="二级",
                    重病="是",
                ),
                member("500240214201-H1", "张小", None, "儿子", 无身份证号原因="新生儿未办理"),
            ],
            "收入": [
                income("500240214201-H1", 6000, 成员姓名="张三"),
                income("500240214201-H1", "1,200", "赡养/抚养/扶养费", 月数=6, 来源="信息比对"),
            ],
            "财产": [
                {
                    "户编号": "500240214201-H1",
                    "财产类型": "车辆/船舶",
                    "车辆类型": "摩托车",
                    "金额": 3000,
                }
            ],
            "刚性支出": [{"户编号": "500240214201-H1", "支出类型": "医疗自付", "金额": 8600.5}],
        },
        filename="保合村.xlsx",
    )
    assert result.ok, [str(e) for e in result.errors]
    household = Household.objects.get(code="500240214201-H1")
    assert household.village == village_a and household.group == groups_a[1]
    assert household.head_name == "张三" and household.address == "保合村2组"
    zhang, li, baby = household.members.order_by("pk")
    assert zhang.relation == "head" and zhang.sex == "M" and zhang.birth_date is not None
    assert li.relation == "spouse" and li.disability_kind == "physical" and li.disability_grade == 2
    assert li.serious_illness is True and li.chongqing_hukou is True
    assert (
        baby.id_number is None and baby.no_id_reason == "新生儿未办理" and baby.relation == "child"
    )
    wage, support = household.incomes.order_by("pk")
    assert wage.member == zhang and wage.amount == Decimal("6000.00") and wage.period_months == 12
    assert support.member is None and support.amount == Decimal("1200.00")
    assert support.period_months == 6 and support.source == "data_match"
    assert Asset.objects.get().vehicle_kind == "motorcycle"
    assert Expense.objects.get().amount == Decimal("8600.50")
    assert str(result.summary).startswith("新增 1 户 3 人")
    # rows written by the bulk import are in the audit trail, with the actor.
    created = AuditEvent.objects.filter(kind=AuditEvent.Kind.CREATE, actor=officer_a)
    assert created.filter(model="households.Household", object_id=str(household.pk)).exists()
    assert created.filter(model="households.Member").count() == 3
    assert created.filter(model="households.Income").count() == 2
    assert created.filter(model="households.Asset").count() == 1
    assert created.filter(model="households.Expense").count() == 1
    member_event = created.get(model="households.Member", object_id=str(zhang.pk))
    assert member_event.household_id == household.pk
    assert head not in str(member_event.after)  # ID numbers masked in the audit trail
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.IMPORT, success=True, actor=officer_a
    ).exists()


def test_thousand_rows_with_bad_rows_commits_nothing_and_reports_every_error(
    office_user, village_a
):
    rows = household_rows(334)[:1000]  # Excel rows 2..1001
    rows[535]["身份证号"] = rows[535]["身份证号"][:17] + (
        "0" if rows[535]["身份证号"][17] != "0" else "1"
    )
    rows[798]["劳动能力"] = "很强"
    incomes = [income(f"500240214201-B{h:05d}", 5000) for h in range(50)]
    incomes[9]["金额"] = "abc"
    before = counts()

    result = run(office_user, {"家庭成员": rows, "收入": incomes})

    assert not result.ok
    assert counts() == before  # nothing committed, no audit rows either
    (id_error,) = errors_at(result, "家庭成员", 537, "身份证号")
    assert "校验位" in id_error.message and id_error.letter == "J"
    assert errors_at(result, "家庭成员", 800, "劳动能力")
    (amount_error,) = errors_at(result, "收入", 11, "金额")
    assert "abc" in amount_error.message
    assert len(result.errors) == 3
    assert "第537行" in str(id_error) and "“身份证号”列" in str(id_error)
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.IMPORT, success=False).exists()


def test_reimport_is_idempotent(officer_a, village_a):
    sheets = {
        "家庭成员": household_rows(5)
        + [member("500240214201-B00000", "张小", None, "孙子女", 无身份证号原因="未办理")],
        "收入": [
            income("500240214201-B00000", 1000),
            income("500240214201-B00000", 1000),
            income("500240214201-B00001", 2500, 成员姓名="户主1"),
        ],
    }
    first = run(officer_a, sheets)
    assert first.ok
    snapshot = counts()
    second = run(officer_a, sheets)
    assert second.ok
    assert counts() == snapshot
    assert (Household.objects.count(), Member.objects.count(), Income.objects.count()) == (5, 16, 3)
    assert second.summary.households_created == 0 and second.summary.members_created == 0
    assert second.summary.households_updated == 0 and second.summary.members_updated == 0
    assert second.summary.households_unchanged == 5


def test_reimport_updates_in_place_with_before_and_after(officer_a, village_a):
    rows = household_rows(2)
    assert run(officer_a, {"家庭成员": rows, "收入": [income("500240214201-B00000", 1000)]}).ok
    spouse = Member.objects.get(name="配偶0")
    rows[0]["住址"] = "保合村新址"
    rows[1]["劳动能力"] = "无劳动能力"
    result = run(officer_a, {"家庭成员": rows, "收入": [income("500240214201-B00000", 1500)]})
    assert result.ok
    assert Household.objects.count() == 2 and Member.objects.count() == 6
    household = Household.objects.get(code="500240214201-B00000")
    assert household.address == "保合村新址" and household.version == 2
    spouse.refresh_from_db()
    assert spouse.work_capacity == "none"
    assert result.summary.households_updated == 1 and result.summary.members_updated == 1
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.UPDATE, model="households.Household")
    assert event.before["address"] == "保合村0号" and event.after["address"] == "保合村新址"
    assert (
        AuditEvent.objects.filter(kind=AuditEvent.Kind.UPDATE, model="households.Member").count()
        == 1
    )
    # The income list of a household named in 收入 is replaced: old row deleted (audited), new created.
    assert list(Income.objects.values_list("amount", flat=True)) == [Decimal("1500.00")]
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.DELETE, model="households.Income"
    ).exists()


def test_blank_cells_keep_existing_values_on_update(officer_a, village_a):
    rows = household_rows(1)
    rows[0]["联系电话"] = "13912345678"
    assert run(officer_a, {"家庭成员": rows}).ok
    rows[0]["联系电话"] = None
    assert run(officer_a, {"家庭成员": rows}).ok
    assert Household.objects.get().phone == "13912345678"


def test_same_id_twice_in_file_is_reported(officer_a, village_a):
    same = id_for(7)
    result = run(
        officer_a,
        {
            "家庭成员": [
                member("500240214201-H1", "甲", same, "户主"),
                member("500240214201-H2", "乙", id_for(8)),
                member("500240214201-H2", "丙", same, "配偶"),
            ]
        },
    )
    (error,) = result.errors
    assert (error.sheet, error.row, error.column) == ("家庭成员", 4, "身份证号")
    assert "第2行" in error.message
    assert Household.objects.count() == 0


def test_id_already_in_another_household(officer_a, village_a, village_b):
    mine = MemberFactory(
        household=HouseholdFactory(village=village_a, code="A-1", head_name="王五")
    )
    theirs = MemberFactory(
        household=HouseholdFactory(village=village_b, code="B-SECRET", head_name="赵六")
    )
    result = run(
        officer_a,
        {
            "家庭成员": [
                member("500240214201-H1", "甲", mine.id_number, "户主"),
                member("500240214201-H1", "乙", theirs.id_number, "配偶"),
            ]
        },
    )
    own, other = result.errors
    assert (
        own.row == 2 and own.column == "身份证号" and "A-1" in own.message and "王五" in own.message
    )
    assert other.row == 3 and other.column == "身份证号"
    assert "其他村" in other.message
    assert (
        "B-SECRET" not in other.message
        and "赵六" not in other.message
        and "万寿村" not in other.message
    )
    assert not Household.objects.filter(code="500240214201-H1").exists()


def test_officer_cannot_import_into_another_village(officer_a, village_a, village_b, groups_a):
    VillageGroupFactory(village=village_b, number=1, name="1组")
    result = run(
        officer_a,
        {
            "家庭成员": [
                member("500240214201-H1", "甲", id_for(1), 村="保合村", 村民组="1组"),
                member("500240214202-H2", "乙", id_for(2), 村="万寿村"),
                member("500240214201-H3", "丙", id_for(3), 村="保合村", 村民组="万寿村1组"),
            ]
        },
    )
    assert not result.ok and Household.objects.count() == 0
    (village_error,) = errors_at(result, "家庭成员", 3, "村")
    assert "本村（保合村）" in village_error.message
    (group_error,) = errors_at(result, "家庭成员", 4, "村民组")
    assert "万寿村1组" in group_error.message
    assert len(result.errors) == 2


def test_officer_cannot_touch_another_villages_household_code(officer_a, village_a, village_b):
    HouseholdFactory(village=village_b, code="W-0001", head_name="赵六")
    result = run(
        officer_a, {"家庭成员": [member("W-0001", "甲", id_for(1))], "收入": [income("W-0001", 1)]}
    )
    code_error = errors_at(result, "家庭成员", 2, "户编号")[0]
    assert "其他村" in code_error.message and "赵六" not in code_error.message
    assert errors_at(result, "收入", 2, "户编号")
    assert Member.objects.count() == 0


def test_office_user_must_name_the_village_and_may_use_any(office_user, village_a, village_b):
    result = run(office_user, {"家庭成员": [member("500240214201-H1", "甲", id_for(1))]})
    assert errors_at(result, "家庭成员", 2, "村")
    result = run(
        office_user, {"家庭成员": [member("500240214202-H1", "甲", id_for(1), 村=village_b.code)]}
    )
    assert result.ok and Household.objects.get().village == village_b


def test_household_rules(officer_a, village_a):
    existing = HouseholdFactory(village=village_a, code="E1")
    MemberFactory(household=existing, name="老户主", relation="head")
    result = run(
        officer_a,
        {
            "家庭成员": [
                member("500240214201-N1", "甲", id_for(1), "配偶"),  # new household without a head
                member(
                    "500240214201-N2", "乙", id_for(2), "户主", 户主姓名="别人"
                ),  # head name mismatch
                member("500240214201-N3", "丙", id_for(3), "户主", 住址="一号"),
                member(
                    "500240214201-N3", "丁", id_for(4), "户主", 住址="二号"
                ),  # second head, other address
                member("E1", "新户主", id_for(5), "户主"),  # existing household already has a head
                member(
                    "500240214201-N4", "戊", 123456789012345678
                ),  # ID stored as a number by Excel
                member("500240214201-N5", "己", None),  # no ID and no reason
            ],
            "收入": [income("500240214201-N3", 100, 成员姓名="不存在"), income("NOPE", 100)],
        },
    )
    found = {(e.sheet, e.row, e.column) for e in result.errors}
    assert found == {
        ("家庭成员", 2, "与户主关系"),
        ("家庭成员", 3, "户主姓名"),
        ("家庭成员", 5, "与户主关系"),
        ("家庭成员", 5, "住址"),
        ("家庭成员", 6, "与户主关系"),
        ("家庭成员", 7, "身份证号"),
        ("家庭成员", 8, "身份证号"),
        ("收入", 2, "成员姓名"),
        ("收入", 3, "户编号"),
    }
    number_error = errors_at(result, "家庭成员", 7, "身份证号")[0]
    assert "文本" in number_error.message


def test_missing_sheet_or_columns(officer_a):
    result = import_households_file(
        actor=officer_a,
        fileobj=io.BytesIO(xlsx_bytes({"Sheet": [{}]}, headers={"Sheet": ["随便"]})),
    )
    assert "缺少工作表" in result.errors[0].message
    data = xlsx_bytes(
        {"家庭成员": [{"户编号": "500240214201-H1"}]}, headers={"家庭成员": ["户编号", "村"]}
    )
    result = import_households_file(actor=officer_a, fileobj=io.BytesIO(data))
    assert result.errors[0].row == 1 and "姓名" in result.errors[0].column


def test_choice_labels_and_aliases(officer_a, village_a):
    result = run(
        officer_a,
        {
            "家庭成员": [
                member(
                    "500240214201-H1",
                    "甲",
                    id_for(1),
                    "本人",
                    户籍类型="农业",
                    发现来源="本人申请",
                    劳动能力="部分丧失劳动能力",
                ),
                member(
                    "500240214201-H1",
                    "乙",
                    id_for(2),
                    "女儿",
                    在校就读="大专/本科",
                    外出务工="是",
                    就业="Y",
                ),
            ],
            "收入": [
                income("500240214201-H1", 100, "养老金")
            ],  # label without its note in parentheses
        },
    )
    assert result.ok, [str(e) for e in result.errors]
    a, b = Member.objects.order_by("pk")
    assert a.relation == "head" and b.relation == "child" and b.student_level == "college"
    assert b.works_away and b.employed and a.work_capacity == "partial"
    assert Household.objects.get().referral_source == "self_application"
    assert Income.objects.get().kind == "pension"


def test_rescreen_scheduled_for_imported_households(officer_a, village_a, monkeypatch):
    calls = []
    monkeypatch.setattr("households.importing.write.schedule_rescreen_many", calls.append)
    result = run(officer_a, {"家庭成员": household_rows(2)})
    assert result.ok
    assert calls == [sorted(Household.objects.values_list("pk", flat=True))]


def test_schedule_rescreen_many_queues_one_task(monkeypatch, django_capture_on_commit_callbacks):
    import sys
    import types

    from households.services import schedule_rescreen_many

    delayed = []
    fake = types.ModuleType("screening.tasks")
    fake.screen_households = types.SimpleNamespace(delay=delayed.append)
    monkeypatch.setitem(sys.modules, "screening.tasks", fake)
    monkeypatch.setattr("screening.tasks", fake, raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        schedule_rescreen_many([3, 1, 3])
    assert delayed == [[1, 3]]


def test_command_imports_and_reports_errors(tmp_path, officer_a, village_a, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes({"家庭成员": household_rows(2)}))
    call_command("import_households", str(good), user="officer_a")
    assert "导入成功：新增 2 户 6 人" in capsys.readouterr().out
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CREATE, actor=officer_a).exists()

    bad = tmp_path / "bad.xlsx"
    rows = household_rows(1, start=5, village="万寿村")
    bad.write_bytes(xlsx_bytes({"家庭成员": rows}))
    with pytest.raises(CommandError, match="共 1 处错误"):
        call_command("import_households", str(bad), user="officer_a")
    assert "第2行" in capsys.readouterr().err
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_households", str(good), user="nobody")


def test_command_without_user_imports_as_system(tmp_path, village_a, village_b):
    path = tmp_path / "all.xlsx"
    path.write_bytes(
        xlsx_bytes({"家庭成员": household_rows(1) + household_rows(1, start=1, village="万寿村")})
    )
    call_command("import_households", str(path))
    assert set(Household.objects.values_list("village__name", flat=True)) == {"保合村", "万寿村"}
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.CREATE, actor_name="系统").exists()


# -- pages ------------------------------------------------------------------------------------


def test_template_downloads_and_reimports_cleanly(client_for, officer_a, village_a, groups_a):
    response = client_for(officer_a).get(reverse("households:import_template"))
    assert response.status_code == 200
    assert "filename*=utf-8''" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:5] == ["填写说明", "家庭成员", "收入", "财产", "刚性支出"]
    explained = {c.value for c in wb["填写说明"]["B"] if c.value}
    assert {"户编号", "身份证号", "与户主关系", "劳动能力", "金额"} <= explained
    allowed = " ".join(str(c.value) for c in wb["填写说明"]["E"] if c.value)
    assert "部分丧失劳动能力" in allowed and "工资性收入" in allowed
    assert wb["家庭成员"]["B2"].value == "保合村"

    result = import_households_file(actor=officer_a, fileobj=io.BytesIO(data))
    assert result.ok, [str(e) for e in result.errors]
    household = Household.objects.get()
    assert household.village == village_a and household.group == groups_a[0]
    assert household.members.count() == 3 and household.incomes.count() == 2
    assert household.assets.count() == 1 and household.expenses.count() == 1
    again = import_households_file(actor=officer_a, fileobj=io.BytesIO(data))
    assert again.ok and again.summary.households_unchanged == 1 and Member.objects.count() == 3


def test_import_page_success(client_for, officer_a, village_a):
    client = client_for(officer_a)
    assert client.get(reverse("households:import")).status_code == 200
    data = xlsx_bytes({"家庭成员": household_rows(2)})
    response = client.post(reverse("households:import"), {"file": upload(data)})
    assert response.status_code == 200
    assert "导入成功：新增 2 户 6 人" in response.content.decode()
    assert Household.objects.count() == 2


def test_import_page_lists_every_error(client_for, officer_a, village_a):
    rows = household_rows(2)
    rows[1]["身份证号"] = "123"
    rows[4]["与户主关系"] = "邻居"
    response = client_for(officer_a).post(
        reverse("households:import"), {"file": upload(xlsx_bytes({"家庭成员": rows}))}
    )
    page = response.content.decode()
    assert "共 2 处错误，未写入任何数据" in page
    assert '<td class="num">3</td>' in page and '<td class="num">6</td>' in page
    assert "身份证号应为18位" in page and "“邻居”不是可选值" in page
    assert Household.objects.count() == 0


def test_import_page_rejects_wrong_file_type(client_for, officer_a):
    response = client_for(officer_a).post(
        reverse("households:import"), {"file": upload(b"\x89PNG\r\n\x1a\n" + b"0" * 100, "a.xlsx")}
    )
    assert "图片文件" in response.content.decode()
    response = client_for(officer_a).post(
        reverse("households:import"), {"file": upload(b"a,b\n1,2\n", "a.csv")}
    )
    assert ".xlsx 格式" in response.content.decode()


@pytest.mark.parametrize("name", ["households:import", "households:import_template"])
def test_leadership_gets_403(client_for, leader, name):
    client = client_for(leader)
    assert client.get(reverse(name)).status_code == 403
    data = xlsx_bytes({"家庭成员": household_rows(1, village="保合村")})
    assert client.post(reverse(name), {"file": upload(data)}).status_code == 403
    assert Household.objects.count() == 0


def test_import_requires_login(client):
    response = client.get(reverse("households:import"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_large_upload_runs_as_background_job_and_deletes_the_file(
    client_for, officer_a, village_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_INLINE_MAX_BYTES = 100
    data = xlsx_bytes({"家庭成员": household_rows(3)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer_a).post(reverse("households:import"), {"file": upload(data)})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert "新增 3 户 9 人" in job.message
    assert Household.objects.count() == 3
    assert list(Path(tmp_path, "imports").iterdir()) == []  # upload deleted after commit


def test_background_job_failure_keeps_nothing_and_offers_error_report(
    client_for, officer_a, village_a, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_INLINE_MAX_BYTES = 100
    rows = household_rows(2)
    rows[3]["身份证号"] = make_id_number(date(1980, 1, 1))[:17] + "Z"
    with django_capture_on_commit_callbacks(execute=True):
        client_for(officer_a).post(
            reverse("households:import"), {"file": upload(xlsx_bytes({"家庭成员": rows}))}
        )
    job = Job.objects.get()
    assert (
        job.status == Job.Status.FAILED and "共 1 处错误" in job.message and "第5行" in job.message
    )
    report = load_workbook(Path(tmp_path, job.result_file))
    assert [c.value for c in report.active[2]][:3] == ["家庭成员", 5, "身份证号（J列）"]
    assert Household.objects.count() == 0
    assert list(Path(tmp_path, "imports").iterdir()) == []  # upload deleted after abort


def test_import_format_doc_names_every_column():
    from households.importing import columns as C

    doc = (Path(__file__).resolve().parents[2] / "households" / "IMPORT_FORMAT.md").read_text()
    for spec in C.SHEETS:
        assert f"工作表“{spec.name}”" in doc
        for col in spec.columns:
            assert f"| {col.header} |" in doc
            for label in col.allowed_labels():
                assert label in doc


def test_import_queries_do_not_grow_per_row(officer_a, village_a, django_assert_max_num_queries):
    """Prefetched lookups and bulk writes: 300 rows must not cost a query (or three) per row."""
    sheets = {
        "家庭成员": household_rows(100),
        "收入": [income(f"500240214201-B{h:05d}", 1000 + h) for h in range(100)],
    }
    with django_assert_max_num_queries(50):
        assert run(officer_a, sheets).ok
    with django_assert_max_num_queries(50):  # the same file again: lookups and no writes
        assert run(officer_a, sheets).summary.households_unchanged == 100


def test_import_task_is_idempotent_and_handles_a_missing_file(
    officer_a, village_a, settings, tmp_path
):
    from households.importing.uploads import save_upload
    from households.tasks import import_households_task

    settings.MEDIA_ROOT = tmp_path
    relative = save_upload(upload(xlsx_bytes({"家庭成员": household_rows(1)})))
    job = Job.objects.create(
        kind="household_import", title="t", owner=officer_a, params={"file": relative}
    )
    import_households_task(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and Household.objects.count() == 1
    import_households_task(job.pk)  # redelivered after it finished: nothing happens
    assert Member.objects.count() == 3

    gone = Job.objects.create(
        kind="household_import",
        title="t",
        owner=officer_a,
        params={"file": "imports/" + "0" * 32 + ".xlsx"},
    )
    import_households_task(gone.pk)
    gone.refresh_from_db()
    assert gone.status == Job.Status.FAILED and "已不存在" in gone.message
