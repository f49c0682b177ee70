"""P-8: the whole township's dossiers (1,549 households, 洗新乡) with two real Celery workers.

A fresh bench database with one synthetic township of 1,549 households (screened, so each
dossier carries its income computation), two `celery worker -c 1` subprocesses on REDIS_URL
listening only to a queue of their own, then the archives app's batch exactly as the
“生成全乡档案包” button starts it (archives.services.start_dossier_batch → a chord of chunks of
50 → the ZIP). The wall time runs from the click to the job being done.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

from django.conf import settings

from archives.batch import CHUNK_SIZE
from archives.services import start_dossier_batch
from xixin_dibao.models import Job, User

from . import data
from .db import bench_database
from .measure import Row, skipped

GOAL_SECONDS = 300
NAME = "全乡一户一档PDF档案包（2 个 Celery worker）"


@contextmanager
def bench_queue(queue: str):
    """Send this process's tasks to `queue` through the broker (not in-process) meanwhile."""
    from xixin_dibao.celery import app

    saved = {k: app.conf.get(k) for k in ("task_always_eager", "task_default_queue", "task_routes")}
    app.conf.update(
        task_always_eager=False, task_default_queue=queue, task_routes={"*": {"queue": queue}}
    )
    try:
        yield app
    finally:
        app.conf.update(saved)


@contextmanager
def workers(env: dict, queue: str, count: int = 2):
    host = socket.gethostname()
    names = [f"bench{i + 1}-{queue}@{host}" for i in range(count)]
    procs = [
        subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker",
                "-Q", queue, "-c", "1", "-n", name, "-l", "warning",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        for name in names
    ]  # fmt: skip
    try:
        yield procs, names
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(app, names: list[str], procs, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("Celery worker 启动失败")
        replies = app.control.ping(destination=names, timeout=1.0) or []
        if len(replies) >= len(names):
            return
    raise RuntimeError(f"Celery worker {timeout:.0f} 秒内未就绪")


def _drop_queue(queue: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    # The queue and kombu's routing entries for the queue's own exchange (named after it).
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()


def dossier_rows(*, households: int = 1549, timeout: float = 3600, keep_db=False, log) -> list[Row]:
    if not os.environ.get("REDIS_URL"):
        return [
            skipped(
                "dossiers",
                NAME,
                f"≤ {GOAL_SECONDS} s",
                "未设置 REDIS_URL：需要 Redis 和真实的 Celery worker，本项跳过。",
            )
        ]
    with bench_database(keep=keep_db) as db:
        log(f"  生成 {households:,} 户的乡镇并研判……")
        data.generate(households=households, townships=1)
        data.screen_everything()
        [username] = data.office_users(1)
        user = User.objects.get(username=username)
        queue = f"xixin-bench-{uuid.uuid4().hex[:10]}"
        env = dict(db.env, BENCH_CELERY_QUEUE=queue)
        try:
            with bench_queue(queue) as app, workers(env, queue) as (procs, names):
                _wait_ready(app, names, procs)
                log("  两个 worker 已就绪，开始生成档案包……")
                started = time.perf_counter()
                job = start_dossier_batch(user=user)
                while time.perf_counter() - started < timeout:
                    job.refresh_from_db()
                    if job.status in (Job.Status.DONE, Job.Status.FAILED):
                        break
                    time.sleep(1)
                seconds = time.perf_counter() - started
        finally:
            _drop_queue(queue)
        job.refresh_from_db()
        done = job.status == Job.Status.DONE
        note = (
            f"{job.done:,}/{job.total or households:,} 户；任务状态：{job.get_status_display()}；"
            f"{(job.message or '').splitlines()[0] if job.message else ''}"
            f"每块 {CHUNK_SIZE} 户一个任务（chord），最后一个任务写 ZIP；两个 worker 各 1 个进程。"
        )
        if not done:
            rate = job.done / seconds if job.done else 0
            estimate = households / rate if rate else None
            note += f" 超时未完成，按已完成的速度估算全部需 {estimate or 0:.0f} 秒。"
        return [
            Row(
                "dossiers",
                f"{NAME}：{households:,} 户",
                seconds if done else None,
                GOAL_SECONDS,
                "s",
                f"≤ {GOAL_SECONDS} s",
                ratio=seconds / GOAL_SECONDS if done else None,
                passed=done and seconds <= GOAL_SECONDS,
                note=note,
            )
        ]
