"""A village officer fills the import template in Excel, uploads it and finds the households.

Then a file with one wrong ID number is rejected with the sheet, row and column named,
and nothing is saved.
"""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from households import idnumber
from households.models import Household, Member
from tests.factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MEMBERS = "家庭成员"
INCOMES = "收入"


def with_wrong_check_digit(number: str) -> str:
    """The same number with its last (check) digit changed: a typical typing mistake."""
    digits = "0123456789X"
    wrong = number[:-1] + digits[(digits.index(number[-1]) + 1) % len(digits)]
    with pytest.raises(idnumber.IdNumberError):
        idnumber.validate(wrong)
    return wrong


def fill_template(data: bytes, members: list[dict], incomes: list[dict]) -> bytes:
    """Replace the template's example rows with ours, column by header, as a person would."""
    wb = load_workbook(io.BytesIO(data))
    for name, rows in ((MEMBERS, members), (INCOMES, incomes), ("财产", []), ("刚性支出", [])):
        ws = wb[name]
        headers = [c.value for c in ws[1]]
        if ws.max_row > 1:
            ws.delete_rows(2, ws.max_row - 1)
        for row in rows:
            unknown = set(row) - set(headers)
            assert not unknown, f"模板缺少列：{unknown}"
            ws.append([row.get(h) for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(page, selector) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(selector)
    download = info.value
    assert download.failure() is None
    with open(download.path(), "rb") as f:
        return download.suggested_filename, f.read()


def upload(page, name: str, data: bytes):
    page.set_input_files(
        "input[type=file][name=file]",
        files=[
            {
                "name": name,
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": data,
            }
        ],
    )
    page.click("button[type=submit]:has-text('上传并导入')")
    page.wait_for_load_state()


def two_households(village_name: str) -> tuple[list[dict], list[dict], dict]:
    ids = {
        "head1": make_id_number(date(1962, 3, 8)),
        "wife1": make_id_number(date(1965, 7, 19), female=True),
        "head2": make_id_number(date(1948, 11, 2), female=True),
    }
    common1 = {"户编号": "500240214201-0101", "村": village_name, "住址": f"{village_name}3组5号"}
    members = [
        {**common1, "姓名": "冉德福", "身份证号": ids["head1"], "与户主关系": "户主",
         "劳动能力": "部分丧失劳动能力", "残疾类别": "肢体", "残疾等级": "3级"},
        {"户编号": "500240214201-0101", "姓名": "谭桂香", "身份证号": ids["wife1"],
         "与户主关系": "配偶", "重病": "是"},
        {"户编号": "500240214201-0102", "村": village_name, "住址": f"{village_name}1组20号",
         "姓名": "秦玉珍", "身份证号": ids["head2"], "与户主关系": "户主",
         "劳动能力": "无劳动能力"},
    ]  # fmt: skip
    incomes = [
        {"户编号": "500240214201-0101", "成员姓名": "冉德福", "收入类型": "经营净收入",
         "金额": 4800, "月数": 12, "说明": "种植玉米"},
        {"户编号": "500240214201-0102", "收入类型": "城乡居民基础养老金（不计入）",
         "金额": 1620, "月数": 12},
    ]  # fmt: skip
    return members, incomes, ids


def test_officer_imports_households_from_the_template(journey, officer_a, village_a, campaign):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/")
    page.click("a.btn:has-text('Excel导入')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "从 Excel 导入家庭信息"
    assert "您只能导入本村（保合村）的家庭" in page.content()
    j.shot("import-page")

    filename, template = download(page, ".toolbar a:has-text('下载导入模板')")
    assert filename == "家庭信息导入模板.xlsx"
    wb = load_workbook(io.BytesIO(template))
    assert wb.sheetnames[:5] == ["填写说明", MEMBERS, INCOMES, "财产", "刚性支出"]
    assert wb[MEMBERS]["B2"].value == "保合村"  # the example is in the officer's own village

    members, incomes, ids = two_households(village_a.name)
    upload(page, "保合村家庭.xlsx", fill_template(template, members, incomes))
    j.shot("import-success")
    status = page.locator("[role=status]").inner_text()
    assert "导入成功：新增 2 户 3 人" in status
    assert "收入：新增 2 条" in status
    assert page.locator("table.import-errors").count() == 0

    first = Household.objects.get(code="500240214201-0101")
    assert first.village == village_a and first.head_name == "冉德福"
    assert first.members.count() == 2 and first.incomes.count() == 1
    assert Member.objects.get(id_number=ids["head2"]).household.head_name == "秦玉珍"

    page.click("a.btn.primary:has-text('查看家庭台账')")
    page.wait_for_load_state()
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 2
    assert "共 2 户" in page.locator(".toolbar").inner_text()
    j.shot("list-after-import")

    page.fill("input[name=q]", "秦玉珍")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state()
    assert rows.count() == 1
    assert "500240214201-0102" in rows.first.inner_text()
    j.shot("search-imported")
    rows.first.locator("a").first.click()
    page.wait_for_load_state()
    content = page.content()
    assert "秦玉珍" in content
    assert ids["head2"] not in content  # masked on the detail page
    assert idnumber.mask(ids["head2"]) in content
    j.shot("imported-household-detail")


def test_file_with_a_wrong_id_number_is_rejected_with_its_cell(
    journey, officer_a, village_a, campaign
):
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/import/")
    _, template = download(page, ".toolbar a:has-text('下载导入模板')")
    members, incomes, ids = two_households(village_a.name)
    members[1]["身份证号"] = with_wrong_check_digit(ids["wife1"])  # row 3 of 家庭成员
    upload(page, "有错误的文件.xlsx", fill_template(template, members, incomes))
    j.shot("import-rejected")

    alert = page.locator("[role=alert]").inner_text()
    assert "导入失败：共 1 处错误，未写入任何数据" in alert
    table = page.locator("table.import-errors")
    assert table.locator("thead").inner_text().split() == ["工作表", "行", "列", "原因"]
    cells = [c.strip() for c in table.locator("tbody tr").first.locator("td").all_inner_texts()]
    assert cells[0] == MEMBERS
    assert cells[1] == "3"
    headers = [c.value for c in load_workbook(io.BytesIO(template))[MEMBERS][1]]
    letter = get_column_letter(headers.index("身份证号") + 1)
    assert cells[2] == f"身份证号（{letter}列）"
    assert "校验位" in cells[3]
    assert page.locator("fieldset legend").inner_text() == "改正后重新上传"
    assert not Household.objects.exists() and not Member.objects.exists()

    # Corrected and uploaded again from the same page: everything goes in.
    members[1]["身份证号"] = ids["wife1"]
    upload(page, "改正后的文件.xlsx", fill_template(template, members, incomes))
    assert "导入成功：新增 2 户 3 人" in page.locator("[role=status]").inner_text()
    j.shot("import-after-correction")
    assert Household.objects.filter(village=village_a).count() == 2
