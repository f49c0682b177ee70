"""The downloadable import template: 填写说明, the four data sheets, drop-down lists, one example."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .. import idnumber
from ..models import Village
from ..services import next_household_code
from . import columns as C
from .places import allowed_village_ids

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")
EXAMPLE_FILL = PatternFill("solid", fgColor="FFF2CC")
OPTIONS_SHEET = "可选值"
VALIDATION_ROWS = 5000

GENERAL_RULES = [
    "1. 请使用本模板，不要修改工作表名称和表头；列的顺序可以调整，多余的列会被忽略。",
    "2. 表头为橙色的列必须填写；黄色底色的行是示例，导入前请删除或改成真实数据。",
    "3. “家庭成员”表每行一名成员，同一户的成员填写相同的户编号；“收入”“财产”“刚性支出”表可选。",
    "4. 整个文件要么全部导入，要么一条也不导入：只要有一处错误，系统会列出所有错误（工作表、行号、列名、原因），改正后重新上传即可。",
    "5. 重复导入同一文件不会重复登记：户按“户编号”、成员按“身份证号”（无身份证号的按同户姓名）识别，已有的会被更新。",
    "6. 更新已有的户或成员时，空白单元格表示“保持原值不变”；新登记时空白单元格取默认值。",
    "7. 某户出现在“收入”（或“财产”“刚性支出”）表中时，该户的收入（财产、支出）以本文件为准，系统中多出的记录会被删除；未出现的户不受影响。",
    "8. 身份证号、户编号、联系电话列已设为文本格式；从其他表格粘贴时请“只粘贴数值”，以免身份证号变成科学计数法。",
    "9. 村综合服务专干只能导入本村的家庭；同一身份证号在全县只能登记一次。",
]


def _style_header(ws, spec: C.Sheet) -> None:
    for idx, col in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=idx, value=col.header)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if col.required else HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = max(10, len(col.header) * 2 + 4)
        if col.text_format:
            ws.column_dimensions[letter].number_format = "@"
            ws.column_dimensions[letter].width = 22
    ws.freeze_panes = "A2"


def _options(wb, specs) -> dict:
    """Write the allowed values on a hidden sheet; return {(sheet, key): range formula}."""
    ws = wb.create_sheet(OPTIONS_SHEET)
    ws.sheet_state = "hidden"
    ranges = {}
    col_idx = 0
    for spec in specs:
        for col in spec.columns:
            labels = col.allowed_labels()
            if not labels:
                continue
            col_idx += 1
            letter = get_column_letter(col_idx)
            ws.cell(row=1, column=col_idx, value=f"{spec.name}·{col.header}")
            for row, label in enumerate(labels, start=2):
                ws.cell(row=row, column=col_idx, value=label)
            end = len(labels) + 1
            ranges[(spec.name, col.key)] = (
                f"{quote_sheetname(OPTIONS_SHEET)}!${letter}$2:${letter}${end}"
            )
    return ranges


def _validations(ws, spec: C.Sheet, ranges: dict) -> None:
    for idx, col in enumerate(spec.columns, start=1):
        formula = ranges.get((spec.name, col.key))
        if not formula:
            continue
        dv = DataValidation(type="list", formula1=formula, allow_blank=True)
        dv.error = f"请从下拉列表中选择：{'、'.join(col.allowed_labels())[:200]}"
        dv.errorTitle = col.header
        dv.showErrorMessage = (
            False  # a warning would block paste from other tables; we check on import
        )
        letter = get_column_letter(idx)
        dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
        ws.add_data_validation(dv)


def _example_rows(village: Village, group_label: str) -> dict:
    code = next_household_code(village)
    head_id = idnumber.make("500240", date(1968, 3, 12), 11)
    spouse_id = idnumber.make("500240", date(1970, 8, 25), 22)
    child_id = idnumber.make("500240", date(2008, 5, 6), 31)
    common = [
        code,
        village.name,
        group_label,
        "张大山",
        f"{village.name}{group_label}",
        "13800000000",
        "农业户口",
        "村干部排查",
    ]
    return {
        C.MEMBERS.name: [
            common
            + [
                "张大山",
                head_id,
                "",
                "户主",
                "共同生活",
                "是",
                "肢体",
                "3级",
                "否",
                "非在校生",
                "部分丧失劳动能力",
                "否",
                "否",
            ],
            [
                code,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "李秀英",
                spouse_id,
                "",
                "配偶",
                "共同生活",
                "是",
                "无",
                "",
                "是",
                "非在校生",
                "无劳动能力",
                "否",
                "否",
            ],
            [
                code,
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "张小明",
                child_id,
                "",
                "子女",
                "共同生活",
                "是",
                "无",
                "",
                "否",
                "初中",
                "无劳动能力",
                "否",
                "否",
            ],
        ],
        C.INCOMES.name: [
            [code, "张大山", "经营净收入", Decimal("3600"), 12, "申报", "种植玉米、土豆"],
            [code, "", "赡养/抚养/扶养费", Decimal("1200"), 12, "申报", "外嫁女儿给付"],
        ],
        C.ASSETS.name: [[code, "张大山", "存款", "", Decimal("5000"), "否", "否", "农商行活期"]],
        C.EXPENSES.name: [[code, "医疗自付", Decimal("8600"), "李秀英住院自付部分"]],
    }


def _instructions(wb) -> None:
    ws = wb.active
    ws.title = "填写说明"
    ws["A1"] = "家庭信息导入模板 · 填写说明"
    ws["A1"].font = Font(bold=True, size=14)
    row = 3
    for line in GENERAL_RULES:
        ws.cell(row=row, column=1, value=line)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=5)
        ws.row_dimensions[row].height = 30
        row += 1
    row += 1
    for idx, title in enumerate(["工作表", "列名", "必填", "说明", "可填的值"], start=1):
        cell = ws.cell(row=row, column=idx, value=title)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    for spec in C.SHEETS:
        row += 1
        ws.cell(row=row, column=1, value=spec.name).font = Font(bold=True)
        ws.cell(row=row, column=4, value=spec.help)
        for col in spec.columns:
            row += 1
            ws.cell(row=row, column=1, value=spec.name)
            ws.cell(row=row, column=2, value=col.header)
            ws.cell(row=row, column=3, value="必填" if col.required else "")
            ws.cell(row=row, column=4, value=col.help)
            ws.cell(row=row, column=5, value="、".join(col.allowed_labels()))
    for letter, width in zip("ABCDE", (12, 16, 6, 60, 70), strict=True):
        ws.column_dimensions[letter].width = width
    for r in ws.iter_rows(min_row=3, max_row=row, max_col=5):
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_template(user) -> bytes:
    """The template as .xlsx bytes, with an example household in a village `user` may import to."""
    villages = list(Village.objects.values_list("id", "code", "name", "township_id"))
    allowed = sorted(allowed_village_ids(user, villages))
    village = Village.objects.filter(pk__in=allowed[:1]).first()
    wb = Workbook()
    _instructions(wb)
    ranges = _options(wb, C.SHEETS)
    examples = {}
    if village is not None:
        group = village.groups.order_by("number").first()
        examples = _example_rows(village, group.name if group else "")
    for spec in C.SHEETS:
        ws = wb.create_sheet(spec.name, index=wb.sheetnames.index(OPTIONS_SHEET))
        _style_header(ws, spec)
        _validations(ws, spec, ranges)
        for values in examples.get(spec.name, []):
            ws.append([v if v != "" else None for v in values])
            for idx, col in enumerate(spec.columns, start=1):
                cell = ws.cell(row=ws.max_row, column=idx)
                cell.fill = EXAMPLE_FILL
                if col.text_format:
                    cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
