"""花名册: content, layout and print settings, formula safety, ID masking, scoping."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from archives.rosters import roster_rows, write_roster
from tests.factories import AssistanceFactory, HouseholdFactory, MemberFactory
from xixin_dibao.models import AuditEvent

from .factories import household_with_members

pytestmark = pytest.mark.django_db


def roster_sheet(**kwargs):
    out = BytesIO()
    result = write_roster(out, **kwargs)
    out.seek(0)
    return load_workbook(out).active, result


def data_rows(ws):
    """Rows between the two header rows and the 合计 row."""
    rows = []
    for row in ws.iter_rows(min_row=5, values_only=True):
        if row[0] == "合计":
            break
        rows.append(row)
    return rows


@pytest.fixture
def rolls(village_a, village_b):
    whole = household_with_members(village_a, names=["张三", "李四"], code="A-0001")
    single = HouseholdFactory(village=village_a, code="A-0002", head_name="王五")
    MemberFactory(household=single, name="王五", relation="head")
    sick = MemberFactory(household=single, name="王小五", relation="child")
    AssistanceFactory(
        member=sick,
        kind="dibao_single",
        start_date=date(2022, 12, 1),
        monthly_amount=Decimal("581"),
    )
    marginal = household_with_members(village_a, names=["赵六"], code="A-0003", dibao=False)
    AssistanceFactory(member=marginal.members.get(), kind="marginal", start_date=date(2022, 12, 1))
    ended = household_with_members(village_a, names=["钱七"], code="A-0004", dibao=False)
    AssistanceFactory(
        member=ended.members.get(),
        kind="dibao",
        start_date=date(2020, 1, 1),
        end_date=date(2022, 6, 30),
        exit_reason="income_rose",
    )
    household_with_members(village_b, names=["孙八"], code="B-0001")
    return whole


def test_dibao_roster_lists_open_records_with_household_figures(rolls, officer_a, village_a):
    ws, result = roster_sheet(user=officer_a, kind="dibao", village=village_a)

    rows = data_rows(ws)
    assert [r[4] for r in rows] == ["张三", "李四", "王小五"]  # no ended record, no other village
    zhang = rows[0]
    assert zhang[0] == 1 and zhang[1] == "保合村" and zhang[3] == "张三" and zhang[5] == "户主"
    assert zhang[7] == 2 and zhang[8] == 2  # 家庭人口, 保障人数
    assert zhang[9] == 840 and zhang[10] == 420 and zhang[11] == "整户"  # 元/户 once, 元/人
    assert zhang[12].date() == date(2022, 12, 1)
    assert rows[1][9] is None and rows[1][10] == 420  # the household amount is not repeated
    wang = rows[2]
    assert wang[3] == "王五" and wang[7] == 2 and wang[8] == 1 and wang[11] == "单人户"
    assert wang[9] == wang[10] == 581  # 单人户: the one person's amount is the household's
    assert result.rows == 3 and len(result.households) == 2


def test_household_figures_do_not_depend_on_how_rows_are_read(rolls, office_user):
    """A household whose rows fall in two read chunks keeps its size and covered count."""
    whole = list(roster_rows(user=office_user, kind="dibao"))
    one_by_one = list(roster_rows(user=office_user, kind="dibao", chunk=1))
    assert one_by_one == whole
    figures = {(row[2], row[3]): (size, covered, amount) for row, size, covered, amount in whole}
    assert figures[("张三", "李四")] == (2, 2, 840)
    assert figures[("王五", "王小五")] == (2, 1, 581)


def test_marginal_roster_has_only_marginal_families(rolls, office_user):
    ws, _ = roster_sheet(user=office_user, kind="marginal")
    assert [r[4] for r in data_rows(ws)] == ["赵六"]


def test_roster_layout_and_print_settings(rolls, office_user, village_a):
    ws, _ = roster_sheet(user=office_user, kind="dibao", village=village_a)

    assert ws["A1"].value == "洗新乡保合村低保对象花名册"
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:M1", "A2:M2", "A3:A4", "E3:G3", "I3:M3"} <= merged
    assert ws["E3"].value == "保障对象" and ws["G4"].value == "身份证号"
    # Per household or per person: each amount column says which.
    assert (ws["J4"].value, ws["K4"].value) == ("户月保障金（元/户）", "本人月保障金（元/人）")
    assert "同户份额相加等于户月保障金" in ws["A2"].value
    assert ws.print_title_rows == "$3:$4"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.column_dimensions["G"].width == 21
    assert ws["A5"].border.left.style == "thin"
    last = [c.value for c in list(ws.iter_rows())[-1]]
    assert (
        "制表人：" in last
        and "审核人：" in last
        and any(str(v).startswith("日期") for v in last if v)
    )
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert total[3] == "2户" and total[4] == "3人"
    assert total[9] == total[10] == 420 * 2 + 581  # households' amounts, persons' shares


def test_formula_like_text_is_written_as_text_and_numbers_stay_numbers(village_a, office_user):
    names = ["=1+2", "+SUM(A1)", "-3+3", "@cmd", "\tTAB", "\rCR", "＝1+1", "＋1", "－1", "＠x"]
    household = HouseholdFactory(village=village_a, head_name='=HYPERLINK("http://x")')
    for i, name in enumerate(names):
        member = MemberFactory(
            household=household, name=name, relation="head" if i == 0 else "child"
        )
        AssistanceFactory(
            member=member,
            kind="dibao",
            start_date=date(2022, 12, 1),
            monthly_amount=Decimal("-5") if i == 0 else Decimal("100"),
        )

    out = BytesIO()
    write_roster(out, user=office_user, kind="dibao", village=village_a)
    out.seek(0)
    ws = load_workbook(out, data_only=False).active

    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    written = [row[4].value for row in ws.iter_rows(min_row=5, max_row=4 + len(names))]
    for original, value in zip(names, written, strict=True):
        assert value.endswith(original.lstrip()) or value.endswith(original)
        assert value[0] not in "=+-@\t\r＝＋－＠"
    amounts = [row[10] for row in ws.iter_rows(min_row=5, max_row=4 + len(names))]
    assert amounts[0].value == -5 and amounts[0].data_type == "n"


def test_roster_export_is_one_query_however_many_rows(
    village_a, office_user, django_assert_max_num_queries
):
    for i in range(30):
        household_with_members(village_a, names=[f"户主{i}", f"成员{i}"])
    with django_assert_max_num_queries(3):
        _, result = roster_sheet(user=office_user, kind="dibao", village=village_a)
    assert result.rows == 60


def reveal_permission(user):
    user.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    return type(user).objects.get(pk=user.pk)


def test_id_numbers_masked_unless_permitted_and_asked(client_for, village_a, office_user):
    household = household_with_members(village_a, names=["张三"])
    full = household.members.get().id_number
    url = reverse("archives:roster", args=["dibao"]) + f"?village={village_a.pk}"

    def id_cell(response):
        ws = load_workbook(BytesIO(b"".join(response.streaming_content))).active
        return ws["G5"].value

    masked = client_for(office_user).get(url + "&reveal=1")  # asked, but no permission
    assert masked.status_code == 200
    assert id_cell(masked) == full[:6] + "********" + full[-4:]
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.REVEAL).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.EXPORT, actor=office_user).count() == 1

    permitted = reveal_permission(office_user)
    assert id_cell(client_for(permitted).get(url)) != full  # permitted, but not asked
    revealed = client_for(permitted).get(url + "&reveal=1")
    assert id_cell(revealed) == full
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REVEAL, actor=permitted).count() == 1
    assert "filename*=utf-8''" in revealed["Content-Disposition"]


def test_roster_download_is_scoped_to_the_officers_village(
    client_for, officer_a, village_a, village_b, leader
):
    household_with_members(village_a)
    client = client_for(officer_a)
    url = reverse("archives:roster", args=["dibao"])
    assert client.get(url + f"?village={village_a.pk}").status_code == 200
    assert client.get(url + f"?village={village_b.pk}").status_code == 404
    assert client.get(url).status_code == 403  # the township roster is not theirs
    assert client.get(reverse("archives:roster", args=["nonsense"])).status_code == 404
    assert client_for(leader).get(url).status_code == 403  # rosters name households
