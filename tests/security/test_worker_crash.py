"""Issue 19.10: a real Celery worker dies holding a job; the job is redelivered and finishes.

The worker is SIGKILLed (parent and pool child, as when a machine loses power) while the job is
RUNNING and blocked on a table lock this test holds. A fresh worker, with the visibility timeout
shortened to seconds for the test (production: minutes, settings.JOB_VISIBILITY_TIMEOUT), gets the
unacknowledged task back from Redis, `claim` sees that the holder's process is gone, and the job
runs to the end once.
"""

import os
import signal
import time
from pathlib import Path

import pytest
from django.db import connection

from screening import tasks
from screening.models import ScreeningResult, ScreeningRun
from tests.factories import (
    CampaignFactory,
    HouseholdFactory,
    IncomeFactory,
    MemberFactory,
    UserFactory,
    VillageFactory,
)
from xixin_dibao import jobs
from xixin_dibao.models import Job

VISIBILITY = 5


@pytest.fixture
def short_visibility(monkeypatch):
    """Read by the worker subprocess that `live_worker` starts (it copies os.environ)."""
    monkeypatch.setenv("JOB_VISIBILITY_TIMEOUT", str(VISIBILITY))


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # field 4 of /proc/PID/stat: the parent's pid
            found.append(int(stat.parent.name))
    return found


def _kill_hard(pid: int) -> None:
    """SIGKILL the worker and its pool processes: nothing gets to ack, reject or clean up."""
    for child in _children(pid):
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def _wait(predicate, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{seconds:.0f} 秒内未{what}")


@pytest.mark.celery_worker
def test_a_job_held_by_a_killed_worker_is_redelivered_and_finishes_once(
    short_visibility, live_worker
):
    campaign = CampaignFactory()
    village = VillageFactory(township=campaign.township)
    for n in range(3):
        household = HouseholdFactory(village=village, code=f"{village.code}-{n + 1:04d}")
        member = MemberFactory(household=household)
        if n:
            IncomeFactory(member=member)
    owner = UserFactory(role="office", township=campaign.township)

    locker = connection.copy()  # a second connection holds the lock outside the test's own
    locker.connect()
    locker.set_autocommit(False)
    with locker.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {ScreeningRun._meta.db_table} IN EXCLUSIVE MODE")
    try:
        job = jobs.start_job(
            kind="screening",
            title="重新研判：全乡",
            owner=owner,
            params={"campaign_id": campaign.pk, "village_id": None, "force": True},
            task=tasks.screen_campaign,
        )
        held = _wait(
            lambda: (
                Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).exclude(worker="").first()
            ),
            60,
            "开始运行",
        )
        _kill_hard(live_worker.process.pid)
        live_worker.process.wait(timeout=10)
        with locker.cursor() as cursor:
            # A dead machine's sessions end when TCP gives up; here at once, before the lock goes.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
    finally:
        locker.rollback()
        locker.close()

    # The dead worker's task is still RUNNING under its name, with a fresh heartbeat.
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING and job.worker == held.worker
    assert not ScreeningRun.objects.exists()

    started = time.monotonic()
    live_worker.restart()
    _wait(
        lambda: Job.objects.filter(pk=job.pk, status=Job.Status.DONE).exists(),
        VISIBILITY + 90,
        "重新投递并完成",
    )
    job.refresh_from_db()
    assert job.worker != held.worker  # a new process took it over
    assert ScreeningRun.objects.count() == 1  # run once, not twice
    assert ScreeningResult.objects.filter(household__village=village).count() == 3
    assert time.monotonic() - started < VISIBILITY + 90
