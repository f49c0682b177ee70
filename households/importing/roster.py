"""在册对象导入: the roster the county's assistance system exports, into the register.

One row per covered person (format: households/ROSTER_IMPORT_FORMAT.md). Rows are grouped into
households by the head's ID number; a household is matched by its members' ID numbers, and one
that is not registered yet is created as a current recipient (发现来源“在册对象”) to be verified.
Each row opens the person's record of that kind, or leaves it as it is when it is already open,
so the same file can be imported twice. All or nothing: every error is listed with sheet, row and
column, and nothing is written while any remains. Scoped like every import (Places).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from openpyxl.utils import get_column_letter

from xixin_dibao import clock
from xixin_dibao.audit import record_bulk_create, record_security
from xixin_dibao.models import AuditEvent

from ..assistance import refresh_current
from ..idnumber import birth_date_from_id, sex_from_id
from ..models import AssistanceRecord, Household, Member, Village
from ..register import Spell, spell_errors
from ..services import next_household_code, schedule_rescreen_many
from ..xlsx_guard import UnsafeUpload, check_xlsx_upload
from . import columns as C
from .places import Places
from .reader import ImportAborted, RowError, find_sheet, iter_rows, map_header, open_workbook
from .reader import prepare as prepare_sheet

LABEL = "在册对象导入"
ROSTER = C.Sheet(
    name="在册对象",
    required=True,
    help="县救助系统导出的在册对象名单：每行一名保障对象，同一户的各行填写相同的户主身份证号。",
    columns=(
        C.Column("村", "village", required=True, max_length=40, help="村名或12位村代码。"),
        C.Column("户主姓名", "head_name", required=True, max_length=40),
        C.Column(
            "户主身份证号",
            "head_id_number",
            "id_number",
            required=True,
            text_format=True,
            help="用来把同一户的各行归为一户。",
        ),
        C.Column("姓名", "name", required=True, max_length=40),
        C.Column("身份证号", "id_number", "id_number", required=True, text_format=True),
        C.Column(
            "与户主关系",
            "relation",
            "choice",
            required=True,
            choices=C._choices(Member.Relation),
            aliases=C.RELATION_ALIASES,
        ),
        C.Column(
            "救助类别",
            "kind",
            "choice",
            required=True,
            choices=C._choices(AssistanceRecord.Kind),
        ),
        C.Column("起始日期", "start_date", "date", required=True, help="本次享受的起始日期。"),
        C.Column(
            "月保障金",
            "monthly_amount",
            "money",
            help="本人每月的保障金（元/人，差额法：标准减人均收入）。",
        ),
        C.Column("保障人数", "people_covered", "people"),
        C.Column("单人户依据", "single_person_basis", max_length=40),
        C.Column("住址", "address", max_length=200),
        C.Column("联系电话", "phone", max_length=20, text_format=True),
    ),
)


@dataclass
class RosterResult:
    errors: list[RowError] = field(default_factory=list)
    households_created: list[str] = field(default_factory=list)  # new household codes
    records_created: int = 0
    records_unchanged: int = 0
    household_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def __str__(self) -> str:
        return (
            f"新建在册家庭 {len(self.households_created)} 户，新增救助记录 {self.records_created} 条，"
            f"{self.records_unchanged} 条已在册无变化。"
        )


class _Reader:
    def __init__(self, actor):
        self.actor = actor
        self.places = Places(actor)
        self.errors: list[RowError] = []
        self.rows: list[tuple[int, dict]] = []
        self.letters: dict[str, str] = {}
        self.open_kinds: set[tuple[str, str]] = set()  # (ID number, kind) already on the register

    def error(self, row: int | None, key: str, message: str) -> None:
        col = ROSTER.column(key) if key else None
        header = col.header if col else ""
        self.errors.append(RowError(ROSTER.name, row, header, message, self.letters.get(key, "")))

    def read(self, workbook, max_rows: int) -> None:
        ws = find_sheet(workbook, ROSTER.name)
        if ws is None:
            self.errors.append(
                RowError(ROSTER.name, None, "", "缺少工作表“在册对象”，请使用系统提供的模板。")
            )
            return
        positions = map_header(prepare_sheet(ws), ROSTER, self.errors)
        if positions is None:
            return
        self.letters = {
            c.key: get_column_letter(p + 1)
            for c, p in zip(ROSTER.columns, positions, strict=True)
            if p is not None
        }
        seen: dict[str, int] = {}
        for number, values in iter_rows(ws, ROSTER, positions, max_rows=max_rows):
            cells, ok = {}, True
            for col, raw in zip(ROSTER.columns, values, strict=True):
                try:
                    value = C.READERS[col.kind](col, raw)
                except C.CellError as exc:
                    self.error(number, col.key, str(exc))
                    ok = False
                    continue
                if value is None and col.required:
                    self.error(number, col.key, "必填，不能为空。")
                    ok = False
                cells[col.key] = value
            if not ok:
                continue
            first = seen.setdefault(cells["id_number"], number)
            if first != number:
                self.error(number, "id_number", f"与第{first}行的身份证号重复，同一人只能有一行。")
                continue
            try:
                cells["village_id"] = self.places.village(cells["village"])
            except C.CellError as exc:
                self.error(number, "village", str(exc))
                continue
            self.rows.append((number, cells))


def _group(reader: _Reader) -> dict[str, list[tuple[int, dict]]]:
    households: dict[str, list] = defaultdict(list)
    for number, cells in reader.rows:
        households[cells["head_id_number"]].append((number, cells))
    for rows in households.values():
        first_row, first = rows[0]
        for number, cells in rows[1:]:
            if cells["village_id"] != first["village_id"]:
                reader.error(number, "village", f"与第{first_row}行同一户填写的村不一致。")
    return households


def _match(reader: _Reader, households: dict) -> dict[str, Household | None]:
    """Each group's registered household (by any member's ID number), None for a new one."""
    ids = [cells["id_number"] for _, cells in reader.rows] + list(households)
    owners = dict(Member.objects.filter(id_number__in=ids).values_list("id_number", "household_id"))
    found_pks = set(owners.values())
    by_pk = Household.all_objects.in_bulk(found_pks)
    matched: dict[str, Household | None] = {}
    for head_id, rows in households.items():
        pks = {owners[c["id_number"]] for _, c in rows if c["id_number"] in owners}
        if head_id in owners:
            pks.add(owners[head_id])
        if len(pks) > 1:
            reader.error(
                rows[0][0], "id_number", "本户各成员的身份证号登记在系统中不同的户，请核对。"
            )
            continue
        household = by_pk[pks.pop()] if pks else None
        if household is not None and household.is_withdrawn:
            reader.error(
                rows[0][0], "id_number", "本户成员所在的家庭已撤销登记，请民政办先恢复该户再导入。"
            )
            continue
        if household is not None and household.village_id not in reader.places.allowed:
            reader.error(
                rows[0][0],
                "id_number",
                "该户已在其他村登记（或不在您管辖的范围内），请联系民政办核实。",
            )
            continue
        if household is None and rows[0][1]["village_id"] not in reader.places.allowed:
            reader.error(rows[0][0], "village", "只能导入您管辖范围内的村。")
            continue
        matched[head_id] = household
    return matched


def _check_records(reader: _Reader, households: dict, matched: dict) -> None:
    today = clock.today()
    open_by_id = defaultdict(list)
    member_ids = [c["id_number"] for _, c in reader.rows]
    for number, kind, start, end, pk in AssistanceRecord.objects.filter(
        member__id_number__in=member_ids
    ).values_list("member__id_number", "kind", "start_date", "end_date", "pk"):
        open_by_id[number].append(Spell(kind, start, end, pk))
        if end is None:
            reader.open_kinds.add((number, kind))
    for head_id, rows in households.items():
        if head_id not in matched:
            continue
        for number, cells in rows:
            spells = open_by_id[cells["id_number"]]
            if (cells["id_number"], cells["kind"]) in reader.open_kinds:
                continue  # already on the register: unchanged
            for key, message in spell_errors(
                kind=cells["kind"],
                start_date=cells["start_date"],
                monthly_amount=cells["monthly_amount"],
                people_covered=cells["people_covered"],
                others=spells,
                today=today,
            ):
                reader.error(number, key if key in {c.key for c in ROSTER.columns} else "", message)


@transaction.atomic
def _write(reader: _Reader, households: dict, matched: dict, result: RosterResult) -> None:
    new_records, new_members, touched = [], [], set()
    villages = Village.objects.in_bulk({rows[0][1]["village_id"] for rows in households.values()})
    for head_id, rows in households.items():
        household = matched[head_id]
        first = rows[0][1]
        if household is None:
            village = villages[first["village_id"]]
            code = next_household_code(village)  # per village, as the web form numbers
            household = Household.objects.create(
                village=village,
                code=code,
                head_name=first["head_name"],
                address=first["address"] or "",
                phone=first["phone"] or "",
                referral_source=Household.ReferralSource.EXISTING,
            )
            result.households_created.append(code)
            record_bulk_create(
                actor=reader.actor, objs=[household], summary=f"{LABEL}：新建在册家庭"
            )
        touched.add(household.pk)
        members = {m.id_number: m for m in household.members.all() if m.id_number}
        if head_id not in members and all(c["id_number"] != head_id for _, c in rows):
            head = Member(  # the head is not covered but belongs to the family
                household=household,
                name=first["head_name"],
                id_number=head_id,
                sex=sex_from_id(head_id),
                birth_date=birth_date_from_id(head_id),
                relation=Member.Relation.HEAD,
            )
            head.save()
            new_members.append(head)
            members[head_id] = head
        for _number, cells in rows:
            member = members.get(cells["id_number"])
            if member is None:
                member = Member.objects.create(
                    household=household,
                    name=cells["name"],
                    id_number=cells["id_number"],
                    sex=sex_from_id(cells["id_number"]),
                    birth_date=birth_date_from_id(cells["id_number"]),
                    relation=cells["relation"],
                )
                new_members.append(member)
                members[member.id_number] = member
            if (cells["id_number"], cells["kind"]) in reader.open_kinds:
                result.records_unchanged += 1
                continue
            new_records.append(
                AssistanceRecord(
                    member=member,
                    kind=cells["kind"],
                    start_date=cells["start_date"],
                    monthly_amount=cells["monthly_amount"],
                    people_covered=cells["people_covered"],
                    single_person_basis=cells["single_person_basis"] or "",
                    source=AssistanceRecord.Source.ROSTER,
                )
            )
    record_bulk_create(actor=reader.actor, objs=new_members, summary=f"{LABEL}：新增成员")
    AssistanceRecord.objects.bulk_create(new_records)
    record_bulk_create(actor=reader.actor, objs=new_records, summary=f"{LABEL}：新增救助记录")
    result.records_created = len(new_records)
    result.household_ids = sorted(touched)
    refresh_current(touched)
    schedule_rescreen_many(result.household_ids)


def import_roster_file(*, actor, fileobj, filename: str = "", max_rows: int = 50_000):
    """Check and import a county roster workbook; write everything or nothing."""
    if actor is not None:
        actor.require(actor.is_office, "在册对象导入只能由民政办办理。")
    reader = _Reader(actor)
    result = RosterResult()
    try:
        check_xlsx_upload(fileobj)
        workbook = open_workbook(fileobj)
        try:
            reader.read(workbook, max_rows)
        finally:
            workbook.close()
    except (UnsafeUpload, ImportAborted) as exc:
        reader.errors.append(RowError("", None, "", str(exc)))
    households = _group(reader) if not reader.errors else {}
    matched = _match(reader, households) if not reader.errors else {}
    if not reader.errors:
        _check_records(reader, households, matched)
    if not reader.errors and not reader.rows:
        reader.errors.append(RowError(ROSTER.name, None, "", "文件中没有可导入的数据行。"))
    if reader.errors:
        result.errors = sorted(reader.errors, key=lambda e: e.row or 0)
        record_security(
            actor=actor,
            kind=AuditEvent.Kind.IMPORT,
            success=False,
            summary=f"{LABEL}被拒绝（{filename}）：{len(result.errors)} 处错误，未写入任何数据",
        )
        return result
    _write(reader, households, matched, result)
    record_security(
        actor=actor, kind=AuditEvent.Kind.IMPORT, summary=f"{LABEL}（{filename}）：{result}"
    )
    return result


def example_rows() -> list[list]:
    from datetime import date

    from .. import idnumber

    head = idnumber.make("500240", date(1968, 3, 12), 11)
    spouse = idnumber.make("500240", date(1970, 8, 25), 22)
    common = ["保合村", "张大山", head]
    return [
        common
        + ["张大山", head, "户主", "低保（整户）", "2019-04-01", 650, 2, "", "保合村1组12号", ""],
        common + ["李秀英", spouse, "配偶", "低保（整户）", "2019-04-01", 650, 2, "", "", ""],
    ]


def build_roster_template(examples: list[list] | None = None) -> bytes:
    """The 在册对象 sheet with its header (and example rows) as .xlsx bytes."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = ROSTER.name
    ws.append([c.header for c in ROSTER.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for idx, col in enumerate(ROSTER.columns, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = (
            22 if col.text_format else max(10, len(col.header) * 2 + 4)
        )
    for row in example_rows() if examples is None else examples:
        ws.append(row)
        for idx, col in enumerate(ROSTER.columns, start=1):
            if col.text_format:
                ws.cell(row=ws.max_row, column=idx).number_format = "@"
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
