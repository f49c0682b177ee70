"""The import file's sheets and columns, and how each cell is read.

One table drives the parser, the downloadable template, its 填写说明 sheet and IMPORT_FORMAT.md,
so they cannot drift apart. Choice columns take the Chinese labels of the model choices.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from xixin_dibao import clock

from .. import idnumber
from ..models import Application, Asset, AssistanceRecord, Expense, Household, Income, Member


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as the reason."""


PAREN_RE = re.compile(r"[（(][^）)]*[）)]")
SPACE_RE = re.compile(r"\s+")
CN_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
NO = {"否", "无", "n", "no", "false", "0", "×", "✗"}


def normalize_header(text) -> str:
    """'重庆户籍（是/否）*' -> '重庆户籍': headers match without notes, stars or spaces."""
    if text is None:
        return ""
    return SPACE_RE.sub("", PAREN_RE.sub("", str(text))).strip("*＊")


def _label_key(text: str) -> str:
    return SPACE_RE.sub("", PAREN_RE.sub("", text))


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = "text"  # text, id_number, choice, bool, money, months, grade, count, date, people
    required: bool = False
    max_length: int = 0
    choices: tuple = ()  # ((value, label), ...)
    aliases: dict = field(default_factory=dict)
    help: str = ""
    example: object = None
    text_format: bool = False  # template column formatted as text (IDs, codes, phones)

    def allowed_labels(self) -> list[str]:
        return [label for _, label in self.choices]

    def lookup(self) -> dict:
        """Map every accepted spelling to the stored value."""
        table = {}
        short = {}
        for value, label in self.choices:
            table[label] = value
            short.setdefault(_label_key(label), []).append(value)
        for key, values in short.items():
            if len(values) == 1:
                table.setdefault(key, values[0])
        table.update(self.aliases)
        return table


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple
    required: bool = False
    help: str = ""

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _choices(cls) -> tuple:
    return tuple((v, str(label)) for v, label in cls.choices)


def _text(raw) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return raw.isoformat()
    text = str(raw).strip()
    return text or None


def read_text(col: Column, raw):
    text = _text(raw)
    if text and col.max_length and len(text) > col.max_length:
        raise CellError(f"内容过长：最多 {col.max_length} 个字，当前 {len(text)} 个字。")
    return text


def read_id_number(col: Column, raw):
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raise CellError(
            "身份证号被 Excel 存成了数字，末几位可能已经丢失。请把此列设为“文本”格式后重新录入。"
        )
    text = _text(raw)
    if text is None:
        return None
    try:
        return idnumber.validate(text, today=clock.today())
    except idnumber.IdNumberError as exc:
        raise CellError(str(exc)) from None


def read_choice(col: Column, raw, _cache={}):  # noqa: B006 - per-column lookup cache
    text = _text(raw)
    if text is None:
        return None
    table = _cache.get(id(col))
    if table is None:
        table = _cache[id(col)] = col.lookup()
    value = table.get(text)
    if value is None:
        value = table.get(_label_key(text))
    if value is None:
        raise CellError(f"“{text}”不是可选值。可填：{'、'.join(col.allowed_labels())}。")
    return value


def read_bool(col: Column, raw):
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    text = _text(raw)
    if text is None:
        return None
    low = text.lower()
    if low in YES:
        return True
    if low in NO:
        return False
    raise CellError(f"应填“是”或“否”，当前为“{text}”。")


def read_money(col: Column, raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise CellError(f"应为数字（元），当前为“{_text(raw)}”。")
    try:
        if isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, int):
            value = Decimal(raw)
        else:
            value = Decimal(str(raw).strip().replace(",", "").replace("，", "").rstrip("元"))
    except InvalidOperation:
        raise CellError(f"应为数字（元），当前为“{_text(raw)}”。") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise CellError(f"金额“{_text(raw)}”不合理，请核对。")
    if value < 0:
        raise CellError("金额不能为负数。")
    return value.quantize(Decimal("0.01"))


def read_months(col: Column, raw):
    text = _text(raw)
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 120:
        raise CellError(f"应为 1 到 120 之间的整数（月），当前为“{text}”。")
    return int(text)


def read_count(col: Column, raw):
    text = _text(raw)
    if text is None:
        return None
    if not text.isdigit() or int(text) > 120:
        raise CellError(f"应为 0 到 120 之间的整数，当前为“{text}”。")
    return int(text)


def read_grade(col: Column, raw):
    text = _text(raw)
    if text is None:
        return None
    core = text.removesuffix("级")
    number = CN_DIGITS.get(core) or (int(core) if core.isdigit() else None)
    if number not in (1, 2, 3, 4):
        raise CellError(f"残疾等级应为 1级、2级、3级 或 4级，当前为“{text}”。")
    return number


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")


def read_date(col: Column, raw):
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _text(raw)
    if text is None:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"应为日期，如 2021-03-01，当前为“{text}”。")


def read_people(col: Column, raw):
    text = _text(raw)
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 99:
        raise CellError(f"应为 1 到 99 之间的整数（人），当前为“{text}”。")
    return int(text)


READERS = {
    "date": read_date,
    "people": read_people,
    "text": read_text,
    "id_number": read_id_number,
    "choice": read_choice,
    "bool": read_bool,
    "money": read_money,
    "months": read_months,
    "grade": read_grade,
    "count": read_count,
}

YES_NO = ("是", "否")

RELATION_ALIASES = {
    "本人": "head",
    "妻子": "spouse",
    "丈夫": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "儿子": "child",
    "女儿": "child",
    "长子": "child",
    "长女": "child",
    "次子": "child",
    "次女": "child",
    "父亲": "parent",
    "母亲": "parent",
    "孙子": "grandchild",
    "孙女": "grandchild",
    "外孙子": "grandchild",
    "外孙女": "grandchild",
    "祖父": "grandparent",
    "祖母": "grandparent",
    "儿媳": "child_in_law",
    "女婿": "child_in_law",
}

MEMBERS = Sheet(
    name="家庭成员",
    required=True,
    help="每行一名家庭成员；同一户的成员填写相同的户编号，户的信息（村、村民组、住址等）填在任意一行即可，各行填写时须一致。",
    columns=(
        Column(
            "户编号",
            "code",
            max_length=30,
            text_format=True,
            help="已在系统中的户填系统户编号，按此更新，不会重复登记。新户留空（同一户的成员"
            "连续填写，户主在第一行），或填临时编号如“新1”（收入、财产表用同一临时编号）："
            "导入时按村自动编号，结果页列出新编号。",
        ),
        Column(
            "村",
            "village",
            max_length=40,
            help="村名或12位村代码。村综合服务专干只能填本村（可留空，默认本村）。",
        ),
        Column(
            "村民组", "group", max_length=40, help="如“1组”或“1”；须是该村已有的村民组。可留空。"
        ),
        Column(
            "户主姓名",
            "head_name",
            max_length=40,
            help="可留空：取本户“与户主关系”为“户主”那一行的姓名。",
        ),
        Column("住址", "address", max_length=200, help="如“保合村1组12号”。"),
        Column("联系电话", "phone", max_length=20, text_format=True, help="手机或固定电话。"),
        Column(
            "户籍类型",
            "hukou_type",
            "choice",
            choices=_choices(Household.HukouType),
            aliases={"农业": "rural", "农村": "rural", "非农业": "urban", "城镇": "urban"},
            help="留空按“农业户口”。",
        ),
        Column(
            "发现来源",
            "referral_source",
            "choice",
            choices=_choices(Household.ReferralSource),
            help="留空按“村干部排查”。",
        ),
        Column("姓名", "name", required=True, max_length=40, help="与身份证上的姓名一致。"),
        Column(
            "身份证号",
            "id_number",
            "id_number",
            text_format=True,
            help="18位居民身份证号，按校验位核对；同一身份证号在全县只能登记一次。",
        ),
        Column(
            "无身份证号原因",
            "no_id_reason",
            max_length=100,
            help="没有身份证号时必填（如“未办理”“新生儿”）。",
        ),
        Column(
            "与户主关系",
            "relation",
            "choice",
            required=True,
            choices=_choices(Member.Relation),
            aliases=RELATION_ALIASES,
            help="每户有且只有一名“户主”。",
        ),
        Column(
            "共同生活情况",
            "exclusion",
            "choice",
            choices=_choices(Member.Exclusion),
            help="不计入共同生活家庭成员的情形；留空按“共同生活”。",
        ),
        Column(
            "重庆户籍",
            "chongqing_hukou",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“是”。",
        ),
        Column(
            "残疾类别",
            "disability_kind",
            "choice",
            choices=_choices(Member.DisabilityKind),
            help="持残疾证的填写类别；留空按“无”。",
        ),
        Column(
            "残疾等级",
            "disability_grade",
            "grade",
            choices=tuple((i, f"{i}级") for i in range(1, 5)),
            help="填写了残疾类别时必填：1级 至 4级；无残疾留空。",
        ),
        Column(
            "重病",
            "serious_illness",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是否患重特大疾病：是 / 否。",
        ),
        Column(
            "在校就读",
            "student_level",
            "choice",
            choices=_choices(Member.StudentLevel),
            help="留空按“非在校生”。",
        ),
        Column(
            "劳动能力",
            "work_capacity",
            "choice",
            choices=_choices(Member.WorkCapacity),
            help="留空按“有劳动能力”。",
        ),
        Column(
            "就业",
            "employed",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        Column(
            "外出务工",
            "works_away",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        # The facts the screening rules read that the first version of the template lacked.
        Column(
            "受疫情影响无法务工",
            "unemployed_due_to_covid",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        Column(
            "无收入月数",
            "months_without_income",
            "count",
            help="因疫情等连续无收入的月数，0 到 120；留空按 0。",
        ),
        Column(
            "独居",
            "lives_alone",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        Column(
            "有履行能力的法定赡养人",
            "has_able_supporter",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“是”。",
        ),
        Column(
            "赡养人常年外出务工",
            "supporters_work_away",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        Column(
            "监测户类型",
            "monitoring_type",
            "choice",
            choices=_choices(Household.MonitoringType),
            aliases={"否": "", "无": ""},
            help="户的信息：留空按“非监测户”。",
        ),
        Column(
            "监测户风险已消除",
            "risk_cleared",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="户的信息：是 / 否；只有监测户才能填“是”。",
        ),
        Column(
            "脱贫户",
            "is_tuopin",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="户的信息：是 / 否；留空按“否”。",
        ),
        Column(
            "2021年人均纯收入",
            "tuopin_net_income_2021",
            "money",
            help="户的信息：脱贫户填写（元）。",
        ),
        Column(
            "2022年预估人均纯收入",
            "tuopin_net_income_2022_estimate",
            "money",
            help="户的信息：脱贫户填写（元）。",
        ),
        Column(
            "今年受灾",
            "disaster_loss",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="户的信息：是 / 否；留空按“否”。",
        ),
        Column(
            "低保信访次数",
            "petition_count",
            "count",
            help="户的信息：因低保问题信访的次数，0 到 120；留空按 0。",
        ),
        Column(
            "自费就读高收费学校或出国留学",
            "high_fee_schooling",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="户的信息：是 / 否；留空按“否”。",
        ),
        Column(
            "生活水平明显高于当地低保标准",
            "high_consumption",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="户的信息：是 / 否；留空按“否”。",
        ),
    ),
)

MEMBER_NAME_HELP = "可留空（属于全户）；填写时须是本户成员的姓名（本文件或系统中已有的成员）。"

INCOMES = Sheet(
    name="收入",
    help="每行一笔收入。某户在本表中出现时，该户的收入以本表为准（系统中多出的收入记录会被删除）。",
    columns=(
        Column("户编号", "code", required=True, max_length=30, text_format=True),
        Column("成员姓名", "member_name", max_length=40, help=MEMBER_NAME_HELP),
        Column("收入类型", "kind", "choice", required=True, choices=_choices(Income.Kind)),
        Column("金额", "amount", "money", required=True, help="元，数字；为“月数”个月的合计金额。"),
        Column("月数", "period_months", "months", help="金额对应的月数，留空按 12 个月。"),
        Column("来源", "source", "choice", choices=_choices(Income.Source), help="留空按“申报”。"),
        Column("说明", "note", max_length=200),
    ),
)

ASSETS = Sheet(
    name="财产",
    help="每行一项财产。某户在本表中出现时，该户的财产以本表为准。",
    columns=(
        Column("户编号", "code", required=True, max_length=30, text_format=True),
        Column("成员姓名", "member_name", max_length=40, help=MEMBER_NAME_HELP),
        Column("财产类型", "kind", "choice", required=True, choices=_choices(Asset.Kind)),
        Column(
            "车辆类型",
            "vehicle_kind",
            "choice",
            choices=tuple(c for c in _choices(Asset.VehicleKind) if c[0]),
            aliases={"无": "", "—": ""},
            help="财产类型为“车辆/船舶”时填写；其他财产留空。",
        ),
        Column("金额", "value", "money", help="金额或估值（元）。"),
        Column(
            "近一年内购置",
            "recent_purchase",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="是 / 否；留空按“否”。",
        ),
        Column(
            "雇佣他人",
            "employs_others",
            "bool",
            choices=tuple((v, v) for v in YES_NO),
            help="工商登记（市场主体）是否雇佣他人。",
        ),
        Column("说明", "note", max_length=200),
    ),
)

EXPENSES = Sheet(
    name="刚性支出",
    help="近12个月的刚性支出，每行一笔。某户在本表中出现时，该户的刚性支出以本表为准。",
    columns=(
        Column("户编号", "code", required=True, max_length=30, text_format=True),
        Column("支出类型", "kind", "choice", required=True, choices=_choices(Expense.Kind)),
        Column("金额", "amount", "money", required=True, help="元，数字。"),
        Column("说明", "note", max_length=200),
    ),
)

ASSISTANCE = Sheet(
    name="救助记录",
    help=(
        "每行一名成员的一段低保（整户或单人户）、低保边缘或特困记录，含已终止的历史记录。"
        "某户在本表中出现时，该户的救助记录以本表为准。同一成员的各段记录时间不能重叠。"
    ),
    columns=(
        Column("户编号", "code", required=True, max_length=30, text_format=True),
        Column("成员姓名", "member_name", required=True, max_length=40, help="本户成员的姓名。"),
        Column("类别", "kind", "choice", required=True, choices=_choices(AssistanceRecord.Kind)),
        Column("起始日期", "start_date", "date", required=True, help="如 2021-03-01。"),
        Column("终止日期", "end_date", "date", help="仍在享受的留空；填写时须同时填退出原因。"),
        Column(
            "退出原因",
            "exit_reason",
            "choice",
            choices=tuple(c for c in _choices(AssistanceRecord.ExitReason) if c[0]),
        ),
        Column("退出原因说明", "exit_note", max_length=200, help="退出原因为“其他”时必填。"),
        Column(
            "月保障金",
            "monthly_amount",
            "money",
            help="本人每月的保障金（元/人，差额法：标准减人均收入）。",
        ),
        Column("保障人数", "people_covered", "people", help="该保障金覆盖的人数。"),
        Column("单人户依据", "single_person_basis", max_length=40, help="如“一级肢体残疾”。"),
    ),
)

APPLICATIONS = Sheet(
    name="申请记录",
    help="每行一次低保、低保边缘或特困申请。某户在本表中出现时，该户的申请记录以本表为准。",
    columns=(
        Column("户编号", "code", required=True, max_length=30, text_format=True),
        Column(
            "申请类别", "kind", "choice", required=True, choices=_choices(AssistanceRecord.Kind)
        ),
        Column("申请日期", "applied_on", "date", required=True),
        Column("结果", "outcome", "choice", required=True, choices=_choices(Application.Outcome)),
        Column("决定日期", "decided_on", "date"),
        Column("原因", "reason", max_length=200, help="未通过的须写明原因（回头看需要）。"),
    ),
)

SHEETS = (MEMBERS, INCOMES, ASSETS, EXPENSES, ASSISTANCE, APPLICATIONS)
CHILD_SHEETS = {
    INCOMES.name: Income,
    ASSETS.name: Asset,
    EXPENSES.name: Expense,
    ASSISTANCE.name: AssistanceRecord,
    APPLICATIONS.name: Application,
}

HOUSEHOLD_KEYS = (
    "village",
    "group",
    "head_name",
    "address",
    "phone",
    "hukou_type",
    "referral_source",
    "monitoring_type",
    "risk_cleared",
    "is_tuopin",
    "tuopin_net_income_2021",
    "tuopin_net_income_2022_estimate",
    "disaster_loss",
    "petition_count",
    "high_fee_schooling",
    "high_consumption",
)
MEMBER_KEYS = tuple(c.key for c in MEMBERS.columns if c.key not in HOUSEHOLD_KEYS + ("code",))


TEMPORARY_CODE_PREFIXES = ("新", "临")


def is_temporary_code(code: str) -> bool:
    """A code a person made up for a new household in the file (“新1”): numbered on import."""
    return code.startswith(TEMPORARY_CODE_PREFIXES)
