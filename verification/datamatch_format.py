"""The county data-match Excel format: its columns, how each cell is read, and a writer.

Documented for users in verification/DATA_MATCH_FORMAT.md; the columns below are the one
source both the reader and the template writer use. No database access here.
"""

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from households import idnumber

SHEET_NAME = "信息比对结果"
MAX_MONEY = Decimal("100000000")
YES = {"有", "是", "y", "yes", "1", "true", "√"}
NO = {"", "无", "否", "n", "no", "0", "false", "×", "-", "—"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str  # id | text | date | count | money | flag | business
    required: bool
    help: str


COLUMNS = [
    Column("身份证号", "id_number", "id", True, "18位，末位可为X；按此号匹配家庭成员"),
    Column("姓名", "name", "text", True, "须与系统登记的姓名一致"),
    Column("比对日期", "matched_on", "date", True, "日期格式单元格，或 2022-11-08"),
    Column("车辆", "vehicles", "count", False, "登记机动车数量（辆），无填0或留空"),
    Column("存款金额", "deposits", "money", False, "元，可带两位小数，无填0或留空"),
    Column("工商登记", "business", "business", False, "无则填“无”或留空；有则填市场主体名称"),
    Column("养老金月额", "pension_monthly", "money", False, "元/月，无填0或留空"),
    Column("房产套数", "houses", "count", False, "套，无填0或留空"),
    Column("公积金", "housing_fund", "flag", False, "有/无（是/否），留空视为无"),
    Column("备注", "note", "text", False, "可选，最多300字"),
]
HEADERS = [c.header for c in COLUMNS]


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self):
        where = f"工作表“{self.sheet}”第{self.row}行"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"


class CellError(ValueError):
    pass


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_id(value) -> str:
    number = _text(value)
    if not number:
        raise CellError("必须填写。")
    try:
        return idnumber.validate(number)
    except idnumber.IdNumberError as exc:
        raise CellError(str(exc)) from exc


def read_date(value, today: date) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        if not text:
            raise CellError("必须填写。")
        for fmt in DATE_FORMATS:
            try:
                day = datetime.strptime(text, fmt).date()
                break
            except ValueError:
                continue
        else:
            raise CellError(f"不是有效日期（“{text}”），请写成 2022-11-08。")
    if day > today:
        raise CellError(f"比对日期 {day:%Y-%m-%d} 晚于今天。")
    return day


def read_count(value) -> int:
    text = _text(value)
    if text in NO:
        return 0
    text = text.removesuffix("辆").removesuffix("套")
    if not text.isdigit():
        raise CellError(f"应填写不小于0的整数（“{_text(value)}”）。")
    number = int(text)
    if number > 999:
        raise CellError(f"数量 {number} 不合理，请核对。")
    return number


def read_money(value) -> Decimal:
    text = _text(value).replace(",", "").replace("，", "").removesuffix("元")
    if text in NO:
        return Decimal("0")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(f"不是有效金额（“{_text(value)}”）。") from exc
    if not amount.is_finite() or amount < 0:
        raise CellError(f"金额不能为负数（“{_text(value)}”）。")
    if amount >= MAX_MONEY:
        raise CellError(f"金额 {amount} 过大，请核对单位（元）。")
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(f"金额最多两位小数（“{_text(value)}”）。")
    return amount.quantize(Decimal("0.01"))


def read_flag(value) -> bool:
    text = _text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise CellError(f"请填写“有”或“无”（“{_text(value)}”）。")


def read_business(value) -> str:
    text = _text(value)
    if text.lower() in NO:
        return ""
    if text.lower() in YES:
        return "有（名称未提供）"
    if len(text) > 200:
        raise CellError("市场主体名称过长（最多200字）。")
    return text


def read_text(value, required: bool, limit: int) -> str:
    text = _text(value)
    if required and not text:
        raise CellError("必须填写。")
    if len(text) > limit:
        raise CellError(f"内容过长（最多{limit}字）。")
    return text


def read_cell(column: Column, value, today: date):
    """Return the cell's value for `column` or raise CellError with a Chinese reason."""
    if column.kind == "id":
        return read_id(value)
    if column.kind == "date":
        return read_date(value, today)
    if column.kind == "count":
        return read_count(value)
    if column.kind == "money":
        return read_money(value)
    if column.kind == "flag":
        return read_flag(value)
    if column.kind == "business":
        return read_business(value)
    return read_text(value, column.required, 300 if column.key == "note" else 40)


@dataclass
class ParsedRow:
    sheet: str
    row: int
    values: dict


def _header_map(header_row, sheet: str) -> tuple[dict[str, int], list[RowError]]:
    positions = {}
    for index, cell in enumerate(header_row):
        text = _text(cell).replace(" ", "")
        if text in HEADERS and text not in positions:
            positions[text] = index
    missing = [c.header for c in COLUMNS if c.required and c.header not in positions]
    errors = [RowError(sheet, 1, h, "表头缺少此列（请使用标准模板）。") for h in missing]
    return positions, errors


def parse_workbook(
    fileobj, *, today: date, max_rows: int
) -> tuple[list[ParsedRow], list[RowError]]:
    """Read every data row of the first sheet; collect every bad cell rather than stopping."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a bad upload
        raise CellError("无法读取该 Excel 文件，请确认是 .xlsx 格式（可用模板另存）。") from exc
    try:
        sheet = (
            workbook[SHEET_NAME] if SHEET_NAME in workbook.sheetnames else workbook.worksheets[0]
        )
        name = sheet.title
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return [], [RowError(name, 1, "", "工作表是空的。")]
        positions, errors = _header_map(header, name)
        if errors:
            return [], errors
        parsed: list[ParsedRow] = []
        for number, raw in enumerate(rows, start=2):
            if raw is None or all(_text(v) == "" for v in raw):
                continue
            if len(parsed) >= max_rows:
                errors.append(
                    RowError(name, number, "", f"数据超过 {max_rows} 行上限，请分批导入。")
                )
                break
            values = {}
            for column in COLUMNS:
                index = positions.get(column.header)
                value = raw[index] if index is not None and index < len(raw) else None
                try:
                    values[column.key] = read_cell(column, value, today)
                except CellError as exc:
                    errors.append(RowError(name, number, column.header, str(exc)))
            parsed.append(ParsedRow(name, number, values))
        return parsed, errors
    finally:
        workbook.close()


def build_workbook(rows: list[dict]) -> bytes:
    """Write an .xlsx in this format: header row, then one row per dict keyed by column key."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append(HEADERS)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.comment = Comment(("必填。" if column.required else "选填。") + column.help, "民政办")
        sheet.column_dimensions[cell.column_letter].width = 22 if column.key == "id_number" else 14
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            if column.kind == "id":
                cell.number_format = "@"  # keep 18 digits as text, never 5.0024E+17
            elif column.kind == "date":
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
