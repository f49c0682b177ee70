"""Celery tasks for dossiers, routed to the "dossiers" queue (settings.CELERY_TASK_ROUTES).

Each takes ids and is idempotent.

A batch is a chord: one task per chunk of ~20 households, then one task that completes the folder
and writes the ZIP. With acks_late a killed worker's chunk is delivered again; it skips households
already on disk, and the finishing task does nothing once the job is done.
"""

import logging

from celery import chord, shared_task
from django.contrib.auth import get_user_model

from households.models import Household
from xixin_dibao import clock
from xixin_dibao.diskwrite import DISK_FULL_MESSAGE
from xixin_dibao.jobs import claimed, fail_job, finish_job, result_path, set_progress
from xixin_dibao.models import Job

from .batch import (
    CHUNK_SIZE,
    batch_households,
    complete_folder,
    done_count,
    run_chunk,
    write_zip,
)
from .services import ensure_dossier

logger = logging.getLogger(__name__)


def _open_job(job_id: int) -> Job | None:
    """The job if there is still work to do for it."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return None
    return job


def _households(job: Job):
    return batch_households(user=job.owner, village_id=job.params.get("village_id"))


def batch_dir(job: Job):
    folder = result_path(job, "dossiers")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@shared_task
def build_dossier_batch(job_id: int) -> None:
    """Split the job's households into chunks and run them, then finish (a chord)."""
    with claimed(job_id) as job:
        if job is not None:
            _start_batch(job)


def _start_batch(job: Job) -> None:
    job_id = job.pk
    ids = list(_households(job).values_list("pk", flat=True))
    out = batch_dir(job)
    set_progress(job, done=done_count(out), total=len(ids), message="正在生成档案PDF……")
    chunks = [ids[i : i + CHUNK_SIZE] for i in range(0, len(ids), CHUNK_SIZE)]
    header = [build_dossier_chunk.si(job_id, chunk) for chunk in chunks]
    if not header:
        finish_dossier_batch.delay(job_id)
        return
    chord(header)(finish_dossier_batch.si(job_id))


@shared_task
def build_dossier_chunk(job_id: int, household_ids: list[int]) -> list[str]:
    """Export one chunk of households into the job's folder (skipping those already there)."""
    job = _open_job(job_id)
    if job is None:
        return []
    out = batch_dir(job)

    def progress():
        if _open_job(job_id) is None:
            return False  # finished or failed meanwhile: stop quietly
        set_progress(job, done=min(done_count(out), job.total or 0))
        return True

    return run_chunk(household_ids, out, actor=job.owner, on_progress=progress)


@shared_task
def finish_dossier_batch(job_id: int) -> None:
    """Fill any gaps, write the ZIP atomically and mark the job done."""
    job = _open_job(job_id)
    if job is None:
        return
    try:
        households = _households(job)
        out = batch_dir(job)
        missing = complete_folder(households, out, actor=job.owner)
        if any(DISK_FULL_MESSAGE in line for line in missing):  # no ZIP of a half batch
            fail_job(
                job, f"生成档案包失败：{DISK_FULL_MESSAGE}已生成的档案保留，清理后重试即可续做。"
            )
            return
        stem = job.title.removesuffix("PDF档案包")
        zip_path = result_path(job, "dossiers.zip")
        count = write_zip(households, out, zip_path)
        message = f"共 {count} 户档案PDF。"
        if missing:
            message += "以下家庭未能生成：\n" + "\n".join(missing)
        set_progress(job, done=count, total=count + len(missing))
        finish_job(job, message=message, path=zip_path, name=f"{stem}_{clock.today():%Y%m%d}.zip")
    except Exception as exc:
        logger.exception("dossier batch %s failed", job_id)
        fail_job(job, f"生成档案包失败：{exc}")


@shared_task
def rebuild_dossier(household_id: int, user_id: int | None = None) -> None:
    """Bring one household's dossier up to date (after a scan upload)."""
    household = Household.objects.filter(pk=household_id).first()
    if household is None:
        return
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    ensure_dossier(household=household, actor=actor)
