"""入户调查 records (《最低生活保障审核确认办法》第十六条: at least two investigators, signed form)."""

import re
from datetime import date

from django.db import transaction

from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from .. import scans
from ..models import Case, HomeVisit
from .common import (
    CaseError,
    bump_version,
    require_case_writer,
    require_data_entry_state,
    require_verification_open,
)

MIN_INVESTIGATORS = 2
SPLIT = re.compile(r"[、,，;；\s]+")


def split_names(text: str) -> list[str]:
    """'王静、涂磊' → ['王静', '涂磊'] (duplicates dropped, order kept)."""
    names = []
    for name in SPLIT.split(text or ""):
        if name and name not in names:
            names.append(name)
    return names


@transaction.atomic
def record_home_visit(
    *,
    case: Case,
    actor,
    visited_on: date,
    investigators: list[str],
    members_finding: str,
    employment_income_finding: str,
    property_finding: str,
    spending_finding: str,
    scan,  # one uploaded file, or a list of them (pages of the signed form)
    county_participated: bool = False,
    expected_version: int | None = None,
) -> HomeVisit:
    """Record a home visit with its signed form's scan; refused after the verification cutoff."""
    require_case_writer(actor, case)
    require_verification_open(case.campaign)
    require_data_entry_state(case)
    if len(investigators) < MIN_INVESTIGATORS:
        raise CaseError(
            "入户调查须有至少两名调查人员，请填写全部调查人员姓名。", field="investigators"
        )
    if visited_on > clock.today():
        raise CaseError("调查日期不能晚于今天。", field="visited_on")
    findings = {
        "members_finding": members_finding,
        "employment_income_finding": employment_income_finding,
        "property_finding": property_finding,
        "spending_finding": spending_finding,
    }
    for name, text in findings.items():
        if not (text or "").strip():
            label = HomeVisit._meta.get_field(name).verbose_name
            raise CaseError(f"请填写“{label}”的调查情况。", field=name)
    files = [f for f in (scan if isinstance(scan, list | tuple) else [scan]) if f is not None]
    if not files:
        raise CaseError("请上传签字的入户调查表扫描件。", field="scan")
    try:
        stored = scans.store_scans(files)
    except scans.ScanError as exc:
        raise CaseError(str(exc), field="scan") from exc
    bump_version(case, expected_version)
    visit = HomeVisit.objects.create(
        case=case,
        visited_on=visited_on,
        investigators=investigators,
        county_participated=county_participated,
        scan_path=stored.path,
        scan_pages=stored.pages,
        recorded_by=actor,
        **{k: v.strip() for k, v in findings.items()},
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=visit,
        after=snapshot(visit),
        summary=f"录入入户调查：{case.household.head_name}户 {visited_on:%Y-%m-%d}",
    )
    return visit
