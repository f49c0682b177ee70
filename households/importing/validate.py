"""Read every row, then check the whole file against the database, collecting every error.

Nothing is written here. Lookups are prefetched in chunks of IN queries (villages, groups,
households by code, members by ID number), so the number of queries does not grow per row.
"""

from openpyxl.utils import get_column_letter

from .. import validation
from ..models import Household
from . import columns as C
from .places import Places
from .reader import RowError, find_sheet, iter_rows, map_header, prepare

CHUNK = 900  # SQLite allows 999 parameters per statement on old builds
REQUIRED = "必填，不能为空。"
# A household whose 户编号 is blank is keyed by its head's row until it is numbered.
BLANK_CODE_KEY = "（第{row}行起的新户）"
BLANK_CODE_ERROR = (
    "户编号为空：新户的成员须连续填写、户主在第一行；也可以填临时编号（如“新1”），导入时自动编号。"
)


def chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class HouseholdDraft:
    __slots__ = (
        "code",
        "row",
        "rows",
        "village_id",
        "group",
        "fields",
        "origin",
        "members",
        "existing",
    )

    def __init__(self, code: str, row: int):
        self.code = code
        self.row = row  # first row of the household
        self.rows = 0  # how many rows name this household
        self.village_id = None
        self.group = None  # (text, row)
        self.fields: dict = {}
        self.origin: dict = {}  # field -> row it came from
        self.members: list = []
        self.existing = None  # Household, when the code is already registered


class MemberDraft:
    __slots__ = ("row", "fields", "id_number", "name", "existing", "instance")

    def __init__(self, row: int, fields: dict):
        self.row = row
        self.fields = fields
        self.id_number = fields.get("id_number")
        self.name = fields["name"]
        self.existing = None  # Member being updated
        self.instance = None  # Member written (set by the writer)


class ChildDraft:
    __slots__ = ("row", "code", "member_name", "fields", "member")

    def __init__(self, row: int, code: str, member_name, fields: dict):
        self.row = row
        self.code = code
        self.member_name = member_name
        self.fields = fields
        self.member = None  # MemberDraft or Member


class Importer:
    """Holds the parsed file: drafts to write, and the errors found."""

    def __init__(self, *, actor):
        self.actor = actor
        self.places = Places(actor)
        self.errors: list[RowError] = []
        self.households: dict[str, HouseholdDraft] = {}
        self.members: list[MemberDraft] = []
        self.children: dict[str, list[ChildDraft]] = {name: [] for name in C.CHILD_SHEETS}
        self.existing: dict[str, Household] = {}
        self._letters: dict[str, dict] = {}
        self._ids: dict[str, int] = {}
        self._blank_key: str | None = None  # the blank-code household the next rows may join
        self._last_key: str | None = None  # the household of the row before

    # -- errors -------------------------------------------------------------------------------
    def error(self, sheet: C.Sheet, row: int, key: str, message: str) -> None:
        col = sheet.column(key)
        letter = self._letters.get(sheet.name, {}).get(key, "")
        self.errors.append(RowError(sheet.name, row, col.header, message, letter))

    # -- reading ------------------------------------------------------------------------------
    def read(self, workbook, *, max_rows: int, progress=None) -> None:
        present = {spec.name for spec in C.SHEETS if find_sheet(workbook, spec.name) is not None}
        for spec in C.SHEETS:
            ws = find_sheet(workbook, spec.name)
            if ws is None:
                if spec.required and not present:
                    self.errors.append(
                        RowError(
                            spec.name, None, "", "缺少工作表“家庭成员”，请使用系统提供的导入模板。"
                        )
                    )
                continue
            positions = map_header(prepare(ws), spec, self.errors)
            if positions is None:
                continue
            self._letters[spec.name] = {
                c.key: get_column_letter(p + 1)
                for c, p in zip(spec.columns, positions, strict=True)
                if p is not None
            }
            add = self._add_member_row if spec is C.MEMBERS else self._add_child_row
            on_progress = (
                (lambda n, s=spec.name: progress(f"正在读取“{s}”", n)) if progress else None
            )
            for number, values in iter_rows(
                ws, spec, positions, max_rows=max_rows, progress=on_progress
            ):
                add(spec, number, values)
        for hh in self.households.values():
            for key, message in validation.household_problems(hh.fields):
                self.error(C.MEMBERS, hh.origin.get(key, hh.row), key, message)

    def _cells(self, spec: C.Sheet, number: int, values: list) -> dict | None:
        """Convert a row's cells; record each bad cell; None if any cell was bad."""
        out = {}
        ok = True
        for col, raw in zip(spec.columns, values, strict=True):
            if col.key in ("village", "group"):
                out[col.key] = C.read_text(col, raw)
                continue
            try:
                value = C.READERS[col.kind](col, raw)
            except C.CellError as exc:
                self.error(spec, number, col.key, str(exc))
                ok = False
                continue
            if value is None and col.required:
                self.error(spec, number, col.key, REQUIRED)
                ok = False
            out[col.key] = value
        return out if ok else None

    def _add_member_row(self, spec, number: int, values: list) -> None:
        cells = self._cells(spec, number, values)
        try:
            code = cells["code"] if cells else C.read_text(spec.column("code"), values[0])
        except C.CellError:
            return
        code = code or self._blank_code_household(spec, number, cells)
        if not code:
            return
        hh = self.households.get(code)
        if hh is None:
            hh = self.households[code] = HouseholdDraft(code, number)
        hh.rows += 1
        self._last_key = code
        self._household_cells(spec, hh, number, values, cells)
        if cells is None:
            return
        fields = {k: cells[k] for k in C.MEMBER_KEYS if cells[k] is not None}
        for key, message in validation.member_problems(fields):
            self.error(spec, number, key, message)
        member = MemberDraft(number, fields)
        if member.id_number:
            first = self._ids.setdefault(member.id_number, number)
            if first != number:
                self.error(
                    spec, number, "id_number", f"与第{first}行的身份证号重复，同一人只能登记一次。"
                )
        elif not fields.get("no_id_reason"):
            self.error(
                spec,
                number,
                "id_number",
                "请填写身份证号；确实没有的，请在“无身份证号原因”列说明原因。",
            )
        hh.members.append(member)
        self.members.append(member)

    def _blank_code_household(self, spec, number: int, cells) -> str | None:
        """The key of a new household whose 户编号 was left blank: its head's row starts it,
        the blank rows right after it are its other members. None (with an error) otherwise."""
        previous, self._blank_key = self._blank_key, None
        if cells is not None and cells.get("relation") == "head":
            self._blank_key = BLANK_CODE_KEY.format(row=number)
        elif previous is not None and previous == self._last_key:
            self._blank_key = previous
        elif cells is not None:
            self.error(spec, number, "code", BLANK_CODE_ERROR)
        return self._blank_key

    def _household_cells(self, spec, hh: HouseholdDraft, number: int, values: list, cells) -> None:
        village_text = C.read_text(spec.column("village"), values[1])
        if village_text:
            try:
                vid = self.places.village(village_text)
            except C.CellError as exc:
                self.error(spec, number, "village", str(exc))
                hh.origin.setdefault("village_refused", number)  # no second error for this cell
            else:
                if hh.village_id is None:
                    hh.village_id, hh.origin["village"] = vid, number
                elif hh.village_id != vid:
                    first = hh.origin["village"]
                    self.error(spec, number, "village", f"与第{first}行同一户填写的村不一致。")
        group_text = C.read_text(spec.column("group"), values[2])
        if group_text:
            if hh.group is None:
                hh.group = (group_text, number)
            elif hh.group[0] != group_text:
                self.error(spec, number, "group", f"与第{hh.group[1]}行同一户填写的村民组不一致。")
        if cells is None:
            return
        for key in C.HOUSEHOLD_KEYS[2:]:  # village and group are read above
            value = cells[key]
            if value is None:
                continue
            if key not in hh.fields:
                hh.fields[key], hh.origin[key] = value, number
            elif hh.fields[key] != value:
                header = spec.column(key).header
                self.error(
                    spec, number, key, f"与第{hh.origin[key]}行同一户填写的“{header}”不一致。"
                )

    def _add_child_row(self, spec, number: int, values: list) -> None:
        cells = self._cells(spec, number, values)
        if cells is None:
            return
        fields = {
            k: v for k, v in cells.items() if k not in ("code", "member_name") and v is not None
        }
        draft = ChildDraft(number, cells["code"], cells.get("member_name"), fields)
        self.children[spec.name].append(draft)
