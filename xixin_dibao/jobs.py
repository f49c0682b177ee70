"""Background jobs with progress: imports, bulk screening, dossier batches, large exports.

A job row is created by the request, a Celery task does the work (in-process when there is no
broker) and reports progress; the result file stays downloadable from the job page.

Crash recovery (issue 19.10): a job records the process running it ("host:pid") and a
heartbeat. A task takes its job with `claimed()`, which refuses a job another live worker holds
(a duplicate Celery delivery) and takes over one whose worker died (a redelivery).
`recover_jobs()`, run on start and every few minutes, fails the jobs nobody can finish any more,
so they no longer block later runs and can be started again, and deletes orphaned uploads.
"""

import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from xixin_dibao import clock

from .models import Job

logger = logging.getLogger(__name__)


def start_job(*, kind: str, title: str, owner, params: dict, task) -> Job:
    """Create a job and queue `task(job_id)` once the current transaction commits."""
    # Run in a thread of this process (no broker): this process is its worker from the start.
    worker = this_worker() if _in_threads() else ""
    job = Job.objects.create(kind=kind, title=title, owner=owner, params=params, worker=worker)
    transaction.on_commit(lambda: dispatch(task, job.pk))
    return job


def _in_threads() -> bool:
    from .celery import app

    return bool(app.conf.task_always_eager and settings.EMBEDDED_JOBS_IN_THREADS)


def dispatch(task, *args) -> None:
    """Queue a task; with no broker (`make run`), run it in a background thread instead.

    Without Redis, Celery runs tasks eagerly inside the request: a dossier batch would hold the
    browser for minutes. A thread lets the user leave the page and come back to the job.
    """
    if _in_threads():
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
    fields = {
        "done": done,
        "status": Job.Status.RUNNING,
        "worker": this_worker(),
        "heartbeat_at": timezone.now(),
    }
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


INTERRUPTED = (
    "任务中断：执行它的进程已退出（服务重启或进程被终止），未完成的部分没有生效。"
    "请重新发起（上传的文件已删除，导入需重新上传）。"
)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _worker_dead(worker: str) -> bool:
    """True when `worker` ran on this host and its process is gone (unknown elsewhere: False)."""
    host, _, pid = worker.rpartition(":")
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def claim(job_id) -> Job | None:
    """Take job `job_id` for this process, or None if it is finished or a live worker has it."""
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None or job.status in (Job.Status.DONE, Job.Status.FAILED):
        return None
    me = this_worker()
    stale = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_STALE_SECONDS)
    free = (
        job.status == Job.Status.PENDING
        or job.worker in ("", me)
        or job.heartbeat_at is None
        or job.heartbeat_at < stale
        or _worker_dead(job.worker)
    )
    if not free:
        logger.info("job %s is held by a live worker; duplicate delivery skipped", job.pk)
        return None
    now = timezone.now()
    taken = Job.objects.filter(
        pk=job.pk, status=job.status, worker=job.worker, heartbeat_at=job.heartbeat_at
    ).update(status=Job.Status.RUNNING, worker=me, heartbeat_at=now)
    if not taken:
        return None  # another worker took it a moment ago
    job.status, job.worker, job.heartbeat_at = Job.Status.RUNNING, me, now
    return job


@contextmanager
def claimed(job_id):
    """`claim` the job for a task; in a Celery worker keep its heartbeat fresh meanwhile."""
    from .celery import app

    job = claim(job_id)
    stop = threading.Event()
    beat = None
    if job is not None and not app.conf.task_always_eager:
        beat = threading.Thread(target=_heartbeat, args=(job.pk, job.worker, stop), daemon=True)
        beat.start()
    try:
        yield job
    finally:
        stop.set()
        if beat is not None:
            beat.join()


def _heartbeat(job_id, worker: str, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
            Job.objects.filter(pk=job_id, worker=worker, status=Job.Status.RUNNING).update(
                heartbeat_at=timezone.now()
            )
    finally:
        connection.close()


def recover_jobs() -> tuple[list, list[str]]:
    """Fail the jobs whose worker is gone and delete orphaned uploads; return what it did.

    Gone means, without a broker (jobs run in threads of the web process): that process has
    exited. With Celery: no heartbeat for JOB_ABANDONED_SECONDS, longer than the broker's
    visibility timeout, so that Celery's own redelivery gets its chance first.
    """
    now = timezone.now()
    abandoned = now - timedelta(seconds=settings.JOB_ABANDONED_SECONDS)
    embedded = _embedded()
    failed, uploads = [], set()
    for job in Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING]):
        if embedded:  # jobs run in this host's web process: is that process still there?
            dead = (
                _worker_dead(job.worker)
                if job.worker
                else job.created_at < now - timedelta(seconds=60)
            ) or (job.heartbeat_at is not None and job.heartbeat_at < abandoned)
        else:  # Celery redelivers a dead worker's task itself; fail only what it gave up on
            dead = job.status == Job.Status.RUNNING and (
                (job.heartbeat_at or job.created_at) < abandoned
            )
        if not dead:
            continue
        if Job.objects.filter(
            pk=job.pk, status=job.status, worker=job.worker, heartbeat_at=job.heartbeat_at
        ).update(status=Job.Status.FAILED, finished_at=now, message=INTERRUPTED):
            failed.append(job.pk)
            uploads.add((job.params or {}).get("file"))
            logger.warning("job %s interrupted (worker %s gone): marked failed", job.pk, job.worker)
    return failed, remove_orphaned_uploads(now_too=uploads)


def _embedded() -> bool:
    from .celery import app

    return bool(app.conf.task_always_eager)


def remove_orphaned_uploads(*, now_too: set = frozenset()) -> list[str]:
    """Delete uploaded import files (personal data) that no waiting or running job will read.

    Files younger than JOB_UPLOAD_GRACE_SECONDS may belong to a request that is creating its
    job right now and are kept, except those of the jobs in `now_too` (just failed).
    """
    folder = Path(settings.MEDIA_ROOT) / "imports"
    if not folder.is_dir():
        return []
    live = {
        (job.params or {}).get("file")
        for job in Job.objects.filter(
            Q(status=Job.Status.PENDING) | Q(status=Job.Status.RUNNING)
        ).only("params")
    }
    young = time.time() - settings.JOB_UPLOAD_GRACE_SECONDS  # a request may be starting its job
    removed = []
    for path in folder.iterdir():
        relative = f"imports/{path.name}"
        if not path.is_file() or relative in live:
            continue
        if relative in now_too or path.stat().st_mtime < young:
            path.unlink(missing_ok=True)
            removed.append(relative)
    if removed:
        logger.warning("removed %d orphaned upload(s)", len(removed))
    return removed


def write_result(job: Job, filename: str, write, *, done_message) -> None:
    """Write the job's result file with `write(handle)` (returns a count), then finish the job.

    The file is whole or absent (issue 19.12); a full disk or a crash fails the job with a
    message for its page. `done_message(count)` says what was written.
    """
    from .diskwrite import DiskFullError, atomic_file

    path = result_path(job, filename)
    try:
        with atomic_file(path) as handle:
            count = write(handle)
    except DiskFullError as exc:
        logger.error("export job %s: disk full", job.pk)
        fail_job(job, f"导出失败：{exc}")
        return
    except Exception:  # noqa: BLE001 - reported on the job page
        logger.exception("export job %s crashed", job.pk)
        fail_job(job, "导出失败：系统出错，请稍后重试。")
        return
    finish_job(job, message=done_message(count), path=path, name=job.params.get("name", ""))
