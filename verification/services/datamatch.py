"""信息比对 results: hand entry, the county Excel import, and the mismatches they reveal."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F

from households.models import Asset, Household, Income, Member
from xixin_dibao import clock
from xixin_dibao.audit import record_bulk_create, record_change, record_security, snapshot
from xixin_dibao.models import AuditEvent

from .. import datamatch_format as fmt
from .. import matching, states
from ..models import Case, DataMatchResult
from .common import (
    READ_ONLY_MESSAGE,
    CaseError,
    actor_kind,
    bump_version,
    require_case_writer,
    require_data_entry_state,
    require_verification_open,
)
from .findings import apply_findings

FIELDS = (
    "matched_on",
    "vehicles",
    "deposits",
    "business",
    "pension_monthly",
    "houses",
    "housing_fund",
    "note",
)
PENSION_KINDS = (Income.Kind.PENSION, Income.Kind.BASIC_PENSION)


class ImportRejected(CaseError):
    """The file had bad rows; nothing was written. `errors` lists every one."""

    def __init__(self, errors: list[fmt.RowError]):
        super().__init__(
            f"导入未执行：发现 {len(errors)} 处错误，请修改后重新导入（未写入任何数据）。"
        )
        self.errors = errors


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    cases: int


# ---- mismatches ---------------------------------------------------------------------------


def declared_for(household: Household) -> matching.Declared:
    """Total the household's declared assets and incomes (two queries)."""
    # What the household declared: not the 信息比对 rows the findings themselves wrote.
    assets = list(household.assets.exclude(source=Income.Source.DATA_MATCH))
    incomes = list(household.incomes.exclude(source=Income.Source.DATA_MATCH))
    pension = sum(
        (i.amount / (i.period_months or 12) for i in incomes if i.kind in PENSION_KINDS),
        Decimal("0"),
    )
    wages = [i for i in incomes if i.kind == Income.Kind.WAGE]
    return matching.Declared(
        vehicles=sum(1 for a in assets if a.kind == Asset.Kind.VEHICLE),
        deposits=sum((a.value for a in assets if a.kind == Asset.Kind.DEPOSIT), Decimal("0")),
        has_business=any(a.kind == Asset.Kind.BUSINESS for a in assets),
        pension_monthly=pension.quantize(Decimal("0.01")),
        houses=sum(1 for a in assets if a.kind in (Asset.Kind.HOUSE, Asset.Kind.NON_RESIDENTIAL)),
        wage_member_ids=frozenset(i.member_id for i in wages if i.member_id),
        household_wage=any(i.member_id is None for i in wages),
    )


def case_mismatches(case: Case) -> list[matching.Mismatch]:
    """What the data match shows that the household did not declare."""
    results = case.data_matches.select_related("member")
    matched = [
        matching.Matched(
            member_id=r.member_id,
            name=r.member.name,
            vehicles=r.vehicles,
            deposits=r.deposits,
            business=r.business,
            pension_monthly=r.pension_monthly,
            houses=r.houses,
            housing_fund=r.housing_fund,
        )
        for r in results
    ]
    if not matched:
        return []
    return matching.compare(declared_for(case.household), matched)


# ---- hand entry ---------------------------------------------------------------------------


@transaction.atomic
def record_data_match(
    *, case: Case, actor, rows: list[dict], expected_version: int | None = None
) -> list[DataMatchResult]:
    """Save hand-entered results, one dict per member (keys: member + FIELDS)."""
    require_case_writer(actor, case)
    require_verification_open(case.campaign)
    require_data_entry_state(case)
    members = {m.pk: m for m in case.household.members.all()}
    today = clock.today()
    for row in rows:
        if row["member"].pk not in members:
            raise CaseError(f"{row['member'].name}不是该户的家庭成员。")
        if row["matched_on"] > today:
            raise CaseError(f"{row['member'].name}的比对日期晚于今天。", field="matched_on")
    if not rows:
        raise CaseError("请至少填写一名成员的比对结果。")
    bump_version(case, expected_version)
    existing = {r.member_id: r for r in case.data_matches.all()}
    saved = []
    for row in rows:
        member = row["member"]
        result = existing.get(member.pk)
        before = snapshot(result) if result else None
        result = result or DataMatchResult(case=case, member=member)
        for name in FIELDS:
            setattr(result, name, row.get(name, getattr(result, name)))
        result.origin = DataMatchResult.Origin.MANUAL
        result.entered_by, result.entered_at = actor, clock.now()
        result.save()
        after = snapshot(result)
        if before != after:
            record_change(
                actor=actor,
                kind=AuditEvent.Kind.UPDATE if before else AuditEvent.Kind.CREATE,
                obj=result,
                before=before,
                after=after,
                summary=f"录入信息比对结果：{member.name}",
            )
        saved.append(result)
    apply_findings(case_ids=[case.pk], actor=actor)
    return saved


# ---- the county Excel import --------------------------------------------------------------


def _guard_upload(fileobj) -> None:
    """Run the shared .xlsx safety check (zip bomb, macros, links) when it is available."""
    try:
        from households import xlsx_guard
    except ImportError:
        head = fileobj.read(4)
        fileobj.seek(0)
        if head != b"PK\x03\x04":
            raise CaseError("只接受 .xlsx 格式的 Excel 文件。") from None
        return
    try:
        xlsx_guard.check_xlsx_upload(fileobj, max_bytes=settings.UPLOAD_MAX_BYTES)
    except xlsx_guard.UnsafeUpload as exc:
        raise CaseError(str(exc)) from exc
    finally:
        fileobj.seek(0)


def _resolve(rows, *, actor, campaign):
    """Match rows to visible members and open cases; return (pairs, errors)."""
    numbers = [r.values["id_number"] for r in rows if "id_number" in r.values]
    visible = Household.objects.for_user(actor)
    members = {
        m.id_number: m for m in Member.objects.filter(id_number__in=numbers, household__in=visible)
    }
    cases = {
        c.household_id: c
        for c in Case.objects.filter(
            campaign=campaign, household_id__in={m.household_id for m in members.values()}
        )
    }
    pairs, errors, seen = [], [], {}
    for row in rows:
        number = row.values.get("id_number")
        if number is None:
            continue

        def bad(column, message, row=row):
            errors.append(fmt.RowError(row.sheet, row.row, column, message))

        if number in seen:
            bad("身份证号", f"与第{seen[number]}行重复。")
            continue
        seen[number] = row.row
        member = members.get(number)
        if member is None:
            bad("身份证号", "在您的权限范围内没有登记此身份证号的家庭成员。")
            continue
        name = row.values.get("name")
        if name and name != member.name:
            bad("姓名", f"与系统登记的姓名“{member.name}”不一致。")
        case = cases.get(member.household_id)
        if case is None:
            bad("身份证号", f"{member.name}所在家庭不在本次核查范围内（没有核查案件）。")
        elif case.state not in states.DATA_ENTRY_STATES:
            bad(
                "身份证号",
                f"{member.name}所在家庭的案件为“{case.state_label}”，不能再录入比对结果。",
            )
        elif len(row.values) == len(fmt.COLUMNS):
            pairs.append((case, member, row.values))
    return pairs, errors


@transaction.atomic
def import_data_match(*, fileobj, actor, campaign) -> ImportSummary:
    """Import the county export all-or-nothing; every bad row is reported (R-01)."""
    actor.require(actor_kind(actor) is not None, READ_ONLY_MESSAGE)
    require_verification_open(campaign)
    _guard_upload(fileobj)
    try:
        rows, errors = fmt.parse_workbook(
            fileobj, today=clock.today(), max_rows=settings.IMPORT_MAX_ROWS
        )
    except fmt.CellError as exc:
        raise CaseError(str(exc)) from exc
    pairs, more = _resolve(rows, actor=actor, campaign=campaign)
    errors = sorted(
        errors + more,
        key=lambda e: (e.row, fmt.HEADERS.index(e.column) if e.column in fmt.HEADERS else -1),
    )
    if errors:
        raise ImportRejected(errors)
    if not pairs:
        raise CaseError("文件中没有数据行。")
    return _write(pairs, actor=actor)


def _write(pairs, *, actor) -> ImportSummary:
    case_ids = {case.pk for case, _, _ in pairs}
    existing = {
        (r.case_id, r.member_id): r for r in DataMatchResult.objects.filter(case_id__in=case_ids)
    }
    now = clock.now()
    created, updated, updates_audit = [], [], []
    for case, member, values in pairs:
        result = existing.get((case.pk, member.pk))
        before = snapshot(result) if result else None
        result = result or DataMatchResult(case=case, member=member)
        for name in FIELDS:
            setattr(result, name, values[name])
        result.origin, result.entered_by, result.entered_at = "import", actor, now
        if before is None:
            created.append(result)
        else:
            updated.append(result)
            updates_audit.append((result, before))
    DataMatchResult.objects.bulk_create(created, batch_size=500)
    DataMatchResult.objects.bulk_update(
        updated, [*FIELDS, "origin", "entered_by", "entered_at"], batch_size=500
    )
    Case.objects.filter(pk__in=case_ids).update(version=F("version") + 1)
    apply_findings(case_ids=case_ids, actor=actor)
    record_bulk_create(actor=actor, objs=created, summary="导入信息比对结果")
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=actor,
                actor_name=str(actor)[:150],
                kind=AuditEvent.Kind.UPDATE,
                model="verification.DataMatchResult",
                object_id=str(r.pk),
                household_id=r.case.household_id,
                summary="导入信息比对结果（更新）",
                before=before,
                after=snapshot(r),
            )
            for r, before in updates_audit
        ],
        batch_size=500,
    )
    record_security(
        actor=actor,
        kind=AuditEvent.Kind.IMPORT,
        summary=f"导入信息比对结果：新增{len(created)}条，更新{len(updated)}条，涉及{len(case_ids)}户",
    )
    return ImportSummary(created=len(created), updated=len(updated), cases=len(case_ids))
