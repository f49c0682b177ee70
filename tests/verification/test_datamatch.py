"""信息比对: hand entry, the Excel import (all-or-nothing, every error located), mismatches."""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from households.models import Asset, Income
from tests.factories import HouseholdFactory, MemberFactory, make_id_number
from tests.verification.factories import CaseFactory, DataMatchFactory, make_case
from verification import datamatch_format as fmt
from verification import matching
from verification.models import DataMatchResult
from verification.services import (
    CaseError,
    ImportRejected,
    case_mismatches,
    import_data_match,
    record_data_match,
)
from verification.states import State
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
SAMPLE = Path(settings.BASE_DIR) / "fixtures" / "data_match_sample.xlsx"


def xlsx(rows, headers=fmt.HEADERS) -> io.BytesIO:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = fmt.SHEET_NAME
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    buffer.name = "比对.xlsx"
    return buffer


def row_for(member, **overrides):
    values = {
        "身份证号": member.id_number,
        "姓名": member.name,
        "比对日期": "2022-11-08",
        "车辆": 0,
        "存款金额": "1000",
        "工商登记": "无",
        "养老金月额": 0,
        "房产套数": 1,
        "公积金": "无",
        "备注": "",
    }
    values.update(overrides)
    return [values[h] for h in fmt.HEADERS]


# ---- pure comparison ----------------------------------------------------------------------


def test_compare_lists_each_undeclared_item():
    declared = matching.Declared(vehicles=0, deposits=Decimal("5000"), houses=1)
    matched = [
        matching.Matched(1, "张三", vehicles=1, deposits=Decimal("30000"), houses=1),
        matching.Matched(2, "李四", business="某某农家乐", pension_monthly=Decimal("900")),
    ]
    found = {m.code: m.message for m in matching.compare(declared, matched)}
    assert set(found) == {"vehicle", "deposit", "business", "pension"}
    assert "张三1辆" in found["vehicle"]
    assert "30,000.00" in found["deposit"] and "5,000.00" in found["deposit"]
    assert "李四（某某农家乐）" in found["business"]


def test_compare_is_quiet_when_declaration_covers_the_match():
    declared = matching.Declared(
        vehicles=1,
        deposits=Decimal("30000"),
        has_business=True,
        houses=2,
        pension_monthly=Decimal("900"),
        wage_member_ids=frozenset({1}),
    )
    matched = [
        matching.Matched(
            1,
            "张三",
            vehicles=1,
            deposits=Decimal("30000"),
            houses=2,
            business="店",
            pension_monthly=Decimal("900"),
            housing_fund=True,
        ),
    ]
    assert matching.compare(declared, matched) == []


def test_housing_fund_without_declared_wage_is_flagged():
    matched = [matching.Matched(7, "王五", housing_fund=True)]
    (mismatch,) = matching.compare(matching.Declared(), matched)
    assert mismatch.code == "housing_fund" and "王五" in mismatch.message


# ---- hand entry ---------------------------------------------------------------------------


def test_hand_entry_saves_and_lists_mismatches(campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    member = case.household.members.get()
    Asset.objects.create(household=case.household, kind="deposit", value=Decimal("2000"))
    record_data_match(
        case=case,
        actor=officer_a,
        rows=[
            {
                "member": member,
                "matched_on": date(2022, 11, 8),
                "vehicles": 1,
                "deposits": Decimal("50000"),
                "business": "",
                "pension_monthly": Decimal("0"),
                "houses": 0,
                "housing_fund": False,
                "note": "",
            }
        ],
        expected_version=case.version,
    )
    result = DataMatchResult.objects.get(case=case, member=member)
    assert result.vehicles == 1 and result.origin == "manual" and result.entered_by == officer_a
    codes = {m.code for m in case_mismatches(case)}
    assert codes == {"vehicle", "deposit"}
    assert AuditEvent.objects.filter(model="verification.DataMatchResult", kind="create").exists()
    case.refresh_from_db()
    assert case.version == 2


def test_entry_after_cutoff_is_refused_in_the_service(campaign, village_a, office_user, today):
    today(date(2022, 11, 22))
    case = make_case(village_a, campaign, members=1)
    member = case.household.members.get()
    with pytest.raises(CaseError) as exc:
        record_data_match(
            case=case,
            actor=office_user,
            rows=[{"member": member, "matched_on": date(2022, 11, 8)}],
        )
    assert "2022年11月21日截止" in exc.value.message and "不再受理" in exc.value.message
    assert not DataMatchResult.objects.exists()


def test_entry_on_the_cutoff_day_is_accepted(campaign, village_a, office_user, today):
    today(date(2022, 11, 21))
    case = make_case(village_a, campaign, members=1)
    member = case.household.members.get()
    record_data_match(
        case=case, actor=office_user, rows=[{"member": member, "matched_on": date(2022, 11, 20)}]
    )
    assert DataMatchResult.objects.filter(case=case).count() == 1


def test_entry_refused_once_case_is_under_review(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1, state=State.PENDING_REVIEW)
    with pytest.raises(CaseError, match="待核查"):
        record_data_match(
            case=case,
            actor=office_user,
            rows=[{"member": case.household.members.get(), "matched_on": date(2022, 11, 8)}],
        )


def test_officer_cannot_enter_for_other_village(campaign, village_a, officer_b, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    with pytest.raises(PermissionDenied):
        record_data_match(
            case=case,
            actor=officer_b,
            rows=[{"member": case.household.members.get(), "matched_on": date(2022, 11, 8)}],
        )


def test_stale_version_is_a_conflict(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    from verification.services import ConflictError

    with pytest.raises(ConflictError):
        record_data_match(
            case=case,
            actor=office_user,
            expected_version=99,
            rows=[{"member": case.household.members.get(), "matched_on": date(2022, 11, 8)}],
        )


# ---- the Excel import ---------------------------------------------------------------------


def test_import_creates_and_updates_results(campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=2)
    first, second = case.household.members.all()
    DataMatchFactory(case=case, member=first, deposits=Decimal("1"))
    summary = import_data_match(
        fileobj=xlsx(
            [row_for(first, 存款金额="12,345.60"), row_for(second, 车辆="2", 公积金="有")]
        ),
        actor=officer_a,
        campaign=campaign,
    )
    assert (summary.created, summary.updated, summary.cases) == (1, 1, 1)
    assert DataMatchResult.objects.get(member=first).deposits == Decimal("12345.60")
    second_result = DataMatchResult.objects.get(member=second)
    assert second_result.vehicles == 2 and second_result.housing_fund is True
    assert second_result.origin == "import"
    assert AuditEvent.objects.filter(kind="import", actor=officer_a).exists()
    assert (
        AuditEvent.objects.filter(model="verification.DataMatchResult", kind="update").count() == 1
    )


def test_bad_rows_reject_the_whole_file_and_are_all_reported(
    campaign, village_a, office_user, today
):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=2)
    good, other = case.household.members.all()
    rows = [row_for(good)]
    rows.append(row_for(other, 存款金额="abc", 车辆="-1", 比对日期="明天"))
    rows.append(row_for(other))  # duplicate ID
    rows.append(["500240197001011234", "查无此人", "2022-11-08", 0, 0, "无", 0, 0, "无", ""])
    rows.append(row_for(good, 姓名="改过的名字", 身份证号=make_id_number()))
    with pytest.raises(ImportRejected) as exc:
        import_data_match(fileobj=xlsx(rows), actor=office_user, campaign=campaign)
    messages = [str(e) for e in exc.value.errors]
    assert (
        "工作表“信息比对结果”第3行“比对日期”列：不是有效日期（“明天”），请写成 2022-11-08。"
        in messages
    )
    assert any(m.startswith("工作表“信息比对结果”第3行“车辆”列") for m in messages)
    assert any(
        m.startswith("工作表“信息比对结果”第3行“存款金额”列：不是有效金额") for m in messages
    )
    assert any("第4行“身份证号”列：与第3行重复" in m for m in messages)
    assert any("第5行“身份证号”列：身份证号校验位错误" in m for m in messages)
    assert any("第6行“身份证号”列：在您的权限范围内没有登记" in m for m in messages)
    assert not DataMatchResult.objects.exists()


def test_import_only_matches_members_in_the_users_village(
    campaign, village_a, village_b, officer_b, today
):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    member = case.household.members.get()
    with pytest.raises(ImportRejected) as exc:
        import_data_match(fileobj=xlsx([row_for(member)]), actor=officer_b, campaign=campaign)
    (error,) = exc.value.errors
    assert "权限范围内没有" in error.message and member.household.head_name not in error.message


def test_import_needs_an_open_case(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    household = HouseholdFactory(village=village_a)
    outside = MemberFactory(household=household)
    reviewed = make_case(village_a, campaign, members=1, state=State.REVIEWED)
    with pytest.raises(ImportRejected) as exc:
        import_data_match(
            fileobj=xlsx([row_for(outside), row_for(reviewed.household.members.get())]),
            actor=office_user,
            campaign=campaign,
        )
    text = " ".join(str(e) for e in exc.value.errors)
    assert "不在本次核查范围内" in text and "已审核" in text


def test_missing_required_header_is_reported(campaign, office_user, today):
    today(date(2022, 11, 10))
    headers = [h for h in fmt.HEADERS if h != "比对日期"]
    with pytest.raises(ImportRejected) as exc:
        import_data_match(fileobj=xlsx([], headers=headers), actor=office_user, campaign=campaign)
    assert (
        str(exc.value.errors[0])
        == "工作表“信息比对结果”第1行“比对日期”列：表头缺少此列（请使用标准模板）。"
    )


def test_import_after_cutoff_is_refused(campaign, village_a, office_user, today):
    today(date(2022, 11, 22))
    case = make_case(village_a, campaign, members=1)
    with pytest.raises(CaseError, match="截止"):
        import_data_match(
            fileobj=xlsx([row_for(case.household.members.get())]),
            actor=office_user,
            campaign=campaign,
        )


def test_not_an_xlsx_is_refused_before_parsing(campaign, office_user, today):
    today(date(2022, 11, 10))
    fake = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    fake.name = "x.xlsx"
    with pytest.raises(CaseError):
        import_data_match(fileobj=fake, actor=office_user, campaign=campaign)


def test_leadership_cannot_import(campaign, leader, today):
    today(date(2022, 11, 10))
    with pytest.raises(PermissionDenied):
        import_data_match(fileobj=xlsx([]), actor=leader, campaign=campaign)


def test_shipped_sample_parses_cleanly():
    with SAMPLE.open("rb") as f:
        rows, errors = fmt.parse_workbook(f, today=date(2022, 11, 21), max_rows=100)
    assert errors == []
    assert len(rows) == 6
    by_name = {r.values["name"]: r.values for r in rows}
    assert by_name["张明华"]["vehicles"] == 1
    assert by_name["张明华"]["deposits"] == Decimal("32000.00")
    assert by_name["谭春兰"]["business"].startswith("石柱县")
    assert by_name["冉小军"]["housing_fund"] is True


def test_sample_imports_when_its_people_are_registered(campaign, village_a, office_user, today):
    today(date(2022, 11, 10))
    with SAMPLE.open("rb") as f:
        rows, _ = fmt.parse_workbook(f, today=date(2022, 11, 21), max_rows=100)
    household = HouseholdFactory(village=village_a)
    for r in rows:
        MemberFactory(household=household, name=r.values["name"], id_number=r.values["id_number"])
    case = CaseFactory(campaign=campaign, household=household)
    with SAMPLE.open("rb") as f:
        summary = import_data_match(fileobj=f, actor=office_user, campaign=campaign)
    assert summary.created == 6
    Income.objects.create(household=household, kind="wage", amount=Decimal("1"))
    codes = {m.code for m in case_mismatches(case)}
    assert codes == {"vehicle", "deposit", "business", "pension", "house"}
