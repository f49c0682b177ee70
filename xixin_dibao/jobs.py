"""Background jobs with progress: imports, bulk screening, dossier batches, large exports.

A job row is created by the request, a Celery task does the work (in-process when there is no
broker) and reports progress; the result file stays downloadable from the job page.
"""

import logging
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)


def start_job(*, kind: str, title: str, owner, params: dict, task) -> Job:
    """Create a job and queue `task(job_id)` once the current transaction commits."""
    job = Job.objects.create(kind=kind, title=title, owner=owner, params=params)
    transaction.on_commit(lambda: task.delay(job.pk))
    return job


def set_progress(job: Job, *, done: int, total: int | None = None, message: str = "") -> None:
    """Record progress without touching other fields (safe from a worker)."""
    fields = {"done": done, "status": Job.Status.RUNNING}
    if total is not None:
        fields["total"] = total
    if message:
        fields["message"] = message
    Job.objects.filter(pk=job.pk).update(**fields)
    for key, value in fields.items():
        setattr(job, key, value)


def result_path(job: Job, filename: str) -> Path:
    """Where a job writes its result: under MEDIA_ROOT/jobs/<id>/, never a user-supplied path."""
    folder = Path(settings.MEDIA_ROOT) / "jobs" / str(job.pk)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def finish_job(job: Job, *, message: str = "", path: Path | None = None, name: str = "") -> None:
    fields = {"status": Job.Status.DONE, "finished_at": timezone.now(), "message": message}
    if job.total:
        fields["done"] = job.total
    if path is not None:
        fields["result_file"] = str(path.relative_to(settings.MEDIA_ROOT))
        fields["result_name"] = name or path.name
    Job.objects.filter(pk=job.pk).update(**fields)


def fail_job(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, finished_at=timezone.now(), message=message
    )
    logger.warning("job %s failed: %s", job.pk, message)
