import threading

import pytest
from celery import shared_task

from tests.factories import UserFactory
from xixin_dibao import jobs
from xixin_dibao.models import Job

release = threading.Event()


@shared_task
def slow_job(job_id):
    job = Job.objects.get(pk=job_id)
    jobs.set_progress(job, done=1, total=2)
    release.wait(timeout=30)
    jobs.finish_job(job, message="完成")


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_jobs_run_in_a_thread_and_the_request_returns(settings):
    """`make run` has no Redis: a long job must not hold the request (issue 9.3)."""
    settings.EMBEDDED_JOBS_IN_THREADS = True
    release.clear()
    owner = UserFactory()
    job = jobs.start_job(kind="test", title="测试任务", owner=owner, params={}, task=slow_job)
    # start_job returned while the task still waits: the job is visible as running.
    for _ in range(100):
        job.refresh_from_db()
        if job.status == Job.Status.RUNNING:
            break
        threading.Event().wait(0.05)
    assert job.status == Job.Status.RUNNING and job.done == 1
    release.set()
    for thread in jobs._threads:
        thread.join(timeout=30)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.message == "完成"
