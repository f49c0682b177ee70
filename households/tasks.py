"""Background jobs for the registry: large Excel imports and exports.

Each task takes a job id, loads it, calls one service and is idempotent: a job that already
finished is left alone when Celery redelivers it (acks_late).
"""

import logging

from celery import shared_task
from django.conf import settings
from django.http import QueryDict

from xixin_dibao.jobs import claimed, fail_job, finish_job, result_path, set_progress, write_result
from xixin_dibao.models import Job

from .exporting import household_export_queryset, write_households_xlsx
from .importing import import_households_file
from .importing.report import write_error_report
from .importing.uploads import stored_path

logger = logging.getLogger(__name__)
ERROR_REPORT_NAME = "导入错误清单.xlsx"


def _failure_message(errors) -> str:
    lines = [f"导入失败：共 {len(errors)} 处错误，未写入任何数据。请下载错误清单，改正后重新上传。"]
    lines += [str(e) for e in errors[:50]]
    if len(errors) > 50:
        lines.append(f"……其余 {len(errors) - 50} 处见错误清单。")
    return "\n".join(lines)


@shared_task
def import_households_task(job_id: int) -> None:
    """Import the uploaded workbook of job `job_id`; the upload is deleted whatever happens."""
    with claimed(job_id) as job:
        if job is not None:
            _import(job)


def _import(job: Job) -> None:
    path = stored_path(job.params.get("file", ""))
    try:
        if not path.is_file():
            fail_job(job, "上传的文件已不存在，请重新上传。")
            return
        set_progress(job, done=0, message="正在检查文件……")
        with path.open("rb") as fh:
            result = import_households_file(
                actor=job.owner,
                fileobj=fh,
                filename=job.params.get("filename", ""),
                progress=lambda message, n: set_progress(
                    job, done=job.done if n is None else n, message=message
                ),
            )
        if result.ok:
            finish_job(job, message=f"导入成功：{result.summary}")
            return
        report = result_path(job, "errors.xlsx")
        write_error_report(result.errors, report)
        fail_job(job, _failure_message(result.errors))
        Job.objects.filter(pk=job.pk).update(
            result_file=str(report.relative_to(settings.MEDIA_ROOT)), result_name=ERROR_REPORT_NAME
        )
    except Exception:  # noqa: BLE001 - the job page must say it failed; nothing was written
        logger.exception("household import job %s crashed", job.pk)
        fail_job(job, "导入失败：系统出错，未写入任何数据。请稍后重试或联系管理员。")
    finally:
        path.unlink(missing_ok=True)


@shared_task
def export_households_task(job_id: int) -> None:
    """Write the household list export of job `job_id` to its result file."""
    with claimed(job_id) as job:
        if job is not None:
            _export(job)


def _export(job: Job) -> None:
    params = QueryDict(job.params.get("query", ""))
    reveal = bool(job.params.get("reveal")) and job.owner.can_reveal_ids
    households = household_export_queryset(job.owner, params)
    total = households.count()
    set_progress(job, done=0, total=total, message="正在导出……")
    write_result(
        job,
        "households.xlsx",
        lambda handle: write_households_xlsx(
            handle,
            households=households,
            reveal=reveal,
            progress=lambda n: set_progress(job, done=n, total=total),
        ),
        done_message=lambda count: f"已导出 {count} 户。",
    )
