"""Issue 19.10: crashed work recovers (jobs of dead workers failed on start, uploads removed)."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import CampaignFactory, UserFactory
from xixin_dibao import jobs
from xixin_dibao.models import Job

ROOT = Path(__file__).resolve().parents[2]

CRASH = """
import os, django
django.setup()
from xixin_dibao import jobs
from xixin_dibao.models import Job
from households.importing.uploads import save_upload
from django.core.files.base import ContentFile
relative = save_upload(ContentFile(b"PK\\x03\\x04 110101199003077777 personal data", name="a.xlsx"))
job = Job.objects.get(pk=int(os.environ["JOB_ID"]))
job.params = {"file": relative}
job.save(update_fields=["params"])
jobs.set_progress(job, done=10, total=100, message="正在导入……")
os._exit(9)  # killed mid-way: no finally, no fail_job
"""


def _crash_in_another_process(job: Job, media_root: Path) -> None:
    """Run a job to 10% in a separate process on this test's database, then kill it."""
    from django.db import connection

    env = dict(os.environ, JOB_ID=str(job.pk), MEDIA_ROOT=str(media_root))
    env["DJANGO_SETTINGS_MODULE"] = "xixin_dibao.settings"
    env.pop("REDIS_URL", None)
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        env["SQLITE_PATH"] = str(db["NAME"])
    else:
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    result = subprocess.run([sys.executable, "-c", CRASH], env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 9


@pytest.mark.django_db(transaction=True)
def test_a_job_killed_mid_way_is_failed_on_start_and_its_upload_removed(_media_root):
    owner = UserFactory()
    job = Job.objects.create(kind="household_import", title="导入家庭台账", owner=owner)
    _crash_in_another_process(job, _media_root)
    job.refresh_from_db()
    upload = Path(_media_root) / job.params["file"]
    assert job.status == Job.Status.RUNNING and job.get_status_display() == "进行中"
    assert upload.is_file()  # the crash left personal data on disk

    call_command("recover_jobs")  # what `make run` and the scheduler run on start

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "任务中断" in job.message
    assert job.finished_at is not None
    assert not upload.exists()


@pytest.mark.django_db
def test_a_failed_screening_run_no_longer_blocks_the_next(client_for, office_user, _media_root):
    campaign = CampaignFactory()
    office_user.township = campaign.township
    office_user.save()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stuck = Job.objects.create(
        kind="screening",
        title="重新研判：全乡",
        owner=office_user,
        status=Job.Status.RUNNING,
        params={"campaign_id": campaign.pk},
        worker=f"{socket.gethostname()}:{dead.pid}",
    )
    client = client_for(office_user)
    response = client.post(reverse("screening:run"), {"village": ""})
    assert response["Location"] == stuck.get_absolute_url()  # blocked, as in the issue
    assert Job.objects.filter(kind="screening").count() == 1

    failed, _ = jobs.recover_jobs()

    assert failed == [stuck.pk]
    response = client.post(reverse("screening:run"), {"village": ""})
    new = Job.objects.filter(kind="screening").exclude(pk=stuck.pk).get()
    assert response["Location"] == new.get_absolute_url()


@pytest.mark.django_db
def test_live_and_queued_jobs_are_left_alone(settings):
    owner = UserFactory()
    mine = Job.objects.create(
        kind="t", title="本进程的任务", owner=owner, status=Job.Status.RUNNING,
        worker=jobs.this_worker(), heartbeat_at=timezone.now(),
    )  # fmt: skip
    elsewhere = Job.objects.create(
        kind="t", title="另一台机器", owner=owner, status=Job.Status.RUNNING,
        worker="other-host:1", heartbeat_at=timezone.now(),
    )  # fmt: skip
    assert jobs.recover_jobs()[0] == []
    for job in (mine, elsewhere):
        job.refresh_from_db()
        assert job.status == Job.Status.RUNNING
    # Another host's job with no heartbeat past the abandon time is failed too.
    Job.objects.filter(pk=elsewhere.pk).update(
        heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_ABANDONED_SECONDS + 1)
    )
    assert jobs.recover_jobs()[0] == [elsewhere.pk]


@pytest.mark.django_db
def test_orphaned_uploads_are_removed_but_not_those_a_job_will_read(settings, _media_root):
    folder = Path(_media_root) / "imports"
    folder.mkdir(parents=True)
    old = time.time() - settings.JOB_UPLOAD_GRACE_SECONDS - 10
    orphan, waiting, fresh = (folder / f"{c * 32}.xlsx" for c in "abc")
    for path in (orphan, waiting, fresh):
        path.write_bytes(b"PK personal data")
    for path in (orphan, waiting):
        os.utime(path, (old, old))
    Job.objects.create(
        kind="household_import", title="导入", owner=UserFactory(),
        params={"file": f"imports/{waiting.name}"}, worker=jobs.this_worker(),
    )  # fmt: skip
    assert jobs.remove_orphaned_uploads() == [f"imports/{orphan.name}"]
    assert not orphan.exists() and waiting.exists() and fresh.exists()


@pytest.mark.django_db
def test_a_redelivered_task_skips_a_job_a_live_worker_holds_and_takes_over_a_dead_ones():
    owner = UserFactory()
    live = f"{socket.gethostname()}:{os.getppid()}"  # the process that started the tests
    job = Job.objects.create(
        kind="t", title="任务", owner=owner, status=Job.Status.RUNNING,
        worker=live, heartbeat_at=timezone.now(),
    )  # fmt: skip
    assert jobs.claim(job.pk) is None  # a duplicate delivery of a live task does nothing

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    Job.objects.filter(pk=job.pk).update(worker=f"{socket.gethostname()}:{dead.pid}")
    taken = jobs.claim(job.pk)  # the worker died (reject_on_worker_lost): take it over
    assert taken is not None and taken.worker == jobs.this_worker()

    Job.objects.filter(pk=job.pk).update(
        worker="other-host:1", heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    assert jobs.claim(job.pk) is not None  # silent for minutes on another host: taken over
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    assert jobs.claim(job.pk) is None  # finished jobs are never run again


def test_celery_redelivers_a_dead_workers_task_within_minutes():
    """Redis visibility timeout: minutes (was 4 hours); heartbeats keep live tasks claimed."""
    timeout = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert timeout <= 15 * 60
    assert (
        django_settings.CELERY_TASK_ACKS_LATE and django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    )
    assert django_settings.JOB_HEARTBEAT_SECONDS * 3 <= django_settings.JOB_HEARTBEAT_STALE_SECONDS
    assert django_settings.JOB_ABANDONED_SECONDS > timeout
    beat = django_settings.CELERY_BEAT_SCHEDULE["recover-jobs"]
    assert beat["task"] == "xixin_dibao.tasks.recover_jobs" and beat["schedule"] <= 300
