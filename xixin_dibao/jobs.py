"""Background jobs with progress: imports, bulk screening, dossier batches, large exports.

A job row is created by the request, a Celery task does the work (in-process when there is no
broker) and reports progress; the result file stays downloadable from the job page.
"""

import logging
import threading
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from xixin_dibao import clock

from .models import Job

logger = logging.getLogger(__name__)


def start_job(*, kind: str, title: str, owner, params: dict, task) -> Job:
    """Create a job and queue `task(job_id)` once the current transaction commits."""
    job = Job.objects.create(kind=kind, title=title, owner=owner, params=params)
    transaction.on_commit(lambda: dispatch(task, job.pk))
    return job


def dispatch(task, *args) -> None:
    """Queue a task; with no broker (`make run`), run it in a background thread instead.

    Without Redis, Celery runs tasks eagerly inside the request: a dossier batch would hold the
    browser for minutes. A thread lets the user leave the page and come back to the job.
    """
    from .celery import app

    if app.conf.task_always_eager and settings.EMBEDDED_JOBS_IN_THREADS:
        thread = threading.Thread(target=_run_here, args=(task, args), daemon=True)
        thread.start()
        _threads.append(thread)
    else:
        task.delay(*args)


_threads: list[threading.Thread] = []


def _run_here(task, args) -> None:
    try:
        task.apply(args=args)
    except Exception:  # noqa: BLE001 - the task records its own failure on the job
        logger.exception("background job %s failed", task.name)
    finally:
        connection.close()


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
    fields = {"status": Job.Status.DONE, "finished_at": clock.now(), "message": message}
    if job.total:
        fields["done"] = job.total
    if path is not None:
        fields["result_file"] = str(path.relative_to(settings.MEDIA_ROOT))
        fields["result_name"] = name or path.name
    Job.objects.filter(pk=job.pk).update(**fields)


def fail_job(job: Job, message: str) -> None:
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, finished_at=clock.now(), message=message
    )
    logger.warning("job %s failed: %s", job.pk, message)
