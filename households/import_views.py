"""Excel pages of the registry: import (with the template) and the household list export."""

import io

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render

from xixin_dibao import clock
from xixin_dibao.audit import record_security
from xixin_dibao.diskwrite import DiskFullError
from xixin_dibao.jobs import start_job
from xixin_dibao.models import AuditEvent

from .exporting import household_export_queryset, write_households_xlsx
from .importing import import_households_file
from .importing.template import build_template
from .importing.uploads import save_upload
from .tasks import export_households_task, import_households_task
from .xlsx_guard import UnsafeUpload, check_xlsx_upload

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
READ_ONLY_MESSAGE = "只读账户不能导入家庭信息。"


def inline_import_max_bytes() -> int:
    """Uploads above this size are imported by a background job (P-10: > ~5,000 rows)."""
    return getattr(settings, "IMPORT_INLINE_MAX_BYTES", 256 * 1024)


def inline_export_max_rows() -> int:
    return settings.EXPORT_INLINE_MAX_ROWS


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        error_messages={"required": "请选择要导入的 Excel 文件。", "empty": "文件是空的。"},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                "请上传 .xlsx 格式的 Excel 文件（旧版 .xls、CSV 请先用 Excel/WPS 另存为 .xlsx）。"
            )
        try:
            check_xlsx_upload(upload)
        except UnsafeUpload as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


@login_required
def import_households(request):
    """Upload form; small files are imported at once, large ones by a background job."""
    user = request.user
    user.require(user.can_edit_registry, READ_ONLY_MESSAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > inline_import_max_bytes():
            try:
                stored = save_upload(upload)
            except DiskFullError as exc:
                form.add_error("file", str(exc))
                return render(request, "households/import.html", {"form": form}, status=507)
            job = start_job(
                kind="household_import",
                title=f"导入家庭信息：{upload.name[:120]}",
                owner=user,
                params={"file": stored, "filename": upload.name[:200]},
                task=import_households_task,
            )
            messages.info(request, "文件较大，已转入后台导入，可在本页查看进度。")
            return redirect(job)
        result = import_households_file(actor=user, fileobj=upload, filename=upload.name[:200])
    # A file that is no workbook at all (or a form error) is a bad request, not a server error.
    bad_file = result is not None and not result.ok and file_level(result.errors)
    return render(
        request,
        "households/import.html",
        {"form": form, "result": result, "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
        status=400 if request.method == "POST" and (not form.is_valid() or bad_file) else 200,
    )


def file_level(errors) -> bool:
    """Every error concerns the whole file (unreadable, unsafe), none a sheet or a row."""
    return bool(errors) and all(not e.sheet and e.row is None for e in errors)


@login_required
def download_template(request):
    """The import template, with an example household in the user's own village."""
    request.user.require(request.user.can_edit_registry, READ_ONLY_MESSAGE)
    data = build_template(request.user)
    return FileResponse(
        io.BytesIO(data),
        as_attachment=True,
        filename="家庭信息导入模板.xlsx",
        content_type=XLSX_TYPE,
    )


@login_required
def export_households(request):
    """The household list (the list page's filters and sort) as .xlsx in the import format.

    ID numbers are masked unless the user may reveal them and asked to (?reveal=1, audited).
    """
    from .views import search_params

    user = request.user
    params = search_params(request)
    reveal = params.pop("reveal", None) == ["1"] and user.can_reveal_ids
    households = household_export_queryset(user, params)
    name = f"家庭台账-{clock.today():%Y%m%d}.xlsx"
    if reveal:
        record_security(
            kind=AuditEvent.Kind.REVEAL, request=request, summary="导出家庭台账（完整身份证号）"
        )
    total = households.count()
    if total > inline_export_max_rows():
        job = start_job(
            kind="household_export",
            title=f"导出家庭台账（{total} 户）",
            owner=user,
            params={"query": params.urlencode(), "reveal": reveal, "name": name},
            task=export_households_task,
        )
        record_security(
            kind=AuditEvent.Kind.EXPORT, request=request, summary=f"导出家庭台账 {total} 户（后台）"
        )
        return redirect(job)
    out = io.BytesIO()
    count = write_households_xlsx(out, households=households, reveal=reveal)
    record_security(
        kind=AuditEvent.Kind.EXPORT, request=request, summary=f"导出家庭台账 {count} 户"
    )
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_TYPE)


@login_required
def import_roster(request):
    """在册对象导入: the county roster into the register (民政办 only)."""
    from .importing.roster import import_roster_file

    user = request.user
    user.require(user.is_office, "在册对象导入只能由民政办办理。")
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = import_roster_file(actor=user, fileobj=upload, filename=upload.name[:200])
    return render(
        request,
        "households/import_roster.html",
        {"form": form, "result": result, "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)},
    )


@login_required
def roster_template(request):
    from .importing.roster import build_roster_template

    request.user.require(request.user.is_office, "在册对象导入只能由民政办办理。")
    return FileResponse(
        io.BytesIO(build_roster_template()),
        as_attachment=True,
        filename="在册对象导入模板.xlsx",
        content_type=XLSX_TYPE,
    )
