"""Household Excel import: all-or-nothing, every error listed, idempotent (issue 2 point 7).

The one entry point is `import_households_file`; the web page, the background job and the
`import_households` management command all call it. The file format is in IMPORT_FORMAT.md.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError

from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent

from ..xlsx_guard import UnsafeUpload, check_xlsx_upload
from .checks import check_database
from .reader import ImportAborted, RowError, open_workbook
from .validate import Importer
from .write import ImportSummary, write_import

__all__ = ["ImportResult", "RowError", "import_households_file"]

logger = logging.getLogger(__name__)
SHEET_ORDER = {
    "": 0,
    "家庭成员": 1,
    "收入": 2,
    "财产": 3,
    "刚性支出": 4,
    "救助记录": 5,
    "申请记录": 6,
}
CONCURRENT_CHANGE = "导入期间有人登记了相同的户编号或身份证号，本次导入未写入任何数据，请重新导入。"


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    summary: ImportSummary | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.summary is not None

    @property
    def household_ids(self) -> list[int]:
        return self.summary.household_ids if self.summary else []


def _sorted(errors: list[RowError]) -> list[RowError]:
    return sorted(errors, key=lambda e: (SHEET_ORDER.get(e.sheet, 9), e.row or 0))


def _reject(actor, errors: list[RowError], filename: str) -> ImportResult:
    record_security(
        actor=actor,
        kind=AuditEvent.Kind.IMPORT,
        success=False,
        summary=f"导入家庭信息被拒绝（{filename}）：{len(errors)} 处错误，未写入任何数据",
    )
    return ImportResult(errors=_sorted(errors))


def import_households_file(
    *,
    actor,
    fileobj,
    filename: str = "",
    progress=None,
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> ImportResult:
    """Check and import a household workbook; write everything or nothing.

    `actor` None means the system (shell without --user): every village. `progress(message, n)`
    is called now and then for background jobs (n = rows read so far, or None while writing).
    """
    if actor is not None:
        actor.require(actor.can_edit_registry, "只读账户不能导入家庭信息。")
        if actor.is_village_officer and not actor.village_id:
            return _reject(
                actor, [RowError("", None, "", "您的账户未设置所属村，不能导入。")], filename
            )
    max_rows = max_rows or settings.IMPORT_MAX_ROWS
    try:
        check_xlsx_upload(fileobj, max_bytes=max_bytes)
        workbook = open_workbook(fileobj)
        try:
            importer = Importer(actor=actor)
            importer.read(workbook, max_rows=max_rows, progress=progress)
        finally:
            workbook.close()
        if not importer.households and not any(importer.children.values()) and not importer.errors:
            importer.errors.append(RowError("家庭成员", None, "", "文件中没有可导入的数据行。"))
        check_database(importer)
    except (UnsafeUpload, ImportAborted) as exc:
        return _reject(actor, [RowError("", None, "", str(exc))], filename)
    if importer.errors:
        return _reject(actor, importer.errors, filename)
    try:
        summary = write_import(importer, progress=progress)
    except IntegrityError:
        logger.warning("household import hit a uniqueness conflict; rolled back")
        return _reject(actor, [RowError("", None, "", CONCURRENT_CHANGE)], filename)
    record_security(
        actor=actor,
        kind=AuditEvent.Kind.IMPORT,
        summary=f"导入家庭信息（{filename}）：{summary}",
    )
    return ImportResult(summary=summary)
