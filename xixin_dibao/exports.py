"""Every list page's 导出Excel: one path for all of them, small lists at once, large ones as a job.

An app registers a `ListExport` for each of its list pages: `rows(user, params)` answers the
page's own queryset (same filters, same scoping, same permission checks) and a function that
turns a chunk of it into rows. `export_response` writes it with xixin_dibao.xlsx, or, above
EXPORT_INLINE_MAX_ROWS rows, starts a background job whose file the user downloads from the
job page. Either way the export is audited.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from celery import shared_task
from django.conf import settings
from django.http import FileResponse, QueryDict
from django.shortcuts import redirect

from . import clock
from .audit import record_security
from .xlsx import XLSX_TYPE, Col, save_list

CHUNK = 2000


@dataclass(frozen=True)
class ListExport:
    key: str
    title: str  # the sheet's and the file's name
    columns: Sequence[Col]
    # (user, params) -> (queryset, chunk -> rows); raises like the page does for a refused user.
    source: Callable


REGISTRY: dict[str, ListExport] = {}


def register(export: ListExport) -> ListExport:
    REGISTRY[export.key] = export
    return export


def _rows(queryset, to_rows) -> Iterable[Sequence]:
    items = queryset.iterator(chunk_size=CHUNK)
    for chunk in iter(lambda: list(islice(items, CHUNK)), []):
        yield from to_rows(chunk)


def write_export(export: ListExport, out, *, user, params, progress=None) -> int:
    queryset, to_rows = export.source(user, params)
    return save_list(out, export.title, export.columns, _rows(queryset, to_rows), progress=progress)


def export_response(request, key: str, params: QueryDict | None = None):
    """The list `key` as an .xlsx download, or a redirect to the job writing it."""
    from .jobs import start_job
    from .models import AuditEvent

    export = REGISTRY[key]
    params = request.GET if params is None else params
    queryset, _ = export.source(request.user, params)
    total = queryset.count()
    name = f"{export.title}_{clock.today():%Y%m%d}.xlsx"
    if total > settings.EXPORT_INLINE_MAX_ROWS:
        job = start_job(
            kind="list_export",
            title=f"导出{export.title}（{total} 行）",
            owner=request.user,
            params={"key": key, "query": params.urlencode(), "name": name},
            task=export_list_task,
        )
        record_security(
            kind=AuditEvent.Kind.EXPORT,
            request=request,
            summary=f"导出{export.title} {total} 行（后台）",
        )
        return redirect(job)
    out = io.BytesIO()
    count = write_export(export, out, user=request.user, params=params)
    record_security(
        kind=AuditEvent.Kind.EXPORT, request=request, summary=f"导出{export.title} {count} 行"
    )
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=name, content_type=XLSX_TYPE)


@shared_task
def export_list_task(job_id: int) -> None:
    """Write the list export of job `job_id` to its result file."""
    from .jobs import claimed

    with claimed(job_id) as job:
        if job is not None:
            _export(job)


def _export(job) -> None:
    from .jobs import set_progress, write_result

    export = REGISTRY[job.params["key"]]
    params = QueryDict(job.params.get("query", ""))
    write_result(
        job,
        "list.xlsx",
        lambda handle: write_export(
            export,
            handle,
            user=job.owner,
            params=params,
            progress=lambda n: set_progress(job, done=n, message="正在导出……"),
        ),
        done_message=lambda count: f"已导出 {count} 行。",
    )
