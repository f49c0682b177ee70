import threading

import pytest
from celery import shared_task

from tests.factories import UserFactory
from xixin_dibao import jobs
from xixin_dibao.models import AuditEvent, Job

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


def _finished_export(owner, settings, *, reveal: bool) -> Job:
    job = Job.objects.create(
        kind="household_export",
        title="导出家庭台账（11098 户）",
        owner=owner,
        params={"reveal": reveal},
        status=Job.Status.DONE,
    )
    path = jobs.result_path(job, "households.xlsx")
    path.write_bytes(b"PK\x03\x04 result")
    jobs.finish_job(job, path=path, name="家庭台账.xlsx")
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_a_job_page_and_result_belong_to_the_user_who_started_it(client_for, settings):
    """Issue 19.1: a second office user gets 404 for the first user's export."""
    first = UserFactory(username="office1", role="office")
    second = UserFactory(username="office2", role="office")
    admin = UserFactory(username="root", role="admin", is_superuser=True)
    job = _finished_export(first, settings, reveal=False)
    for other in (second, admin):
        client = client_for(other)
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(job.get_download_url()).status_code == 404
    owner = client_for(first)
    assert owner.get(job.get_absolute_url()).status_code == 200
    assert owner.get(job.get_download_url()).status_code == 200


@pytest.mark.django_db
def test_job_addresses_are_not_guessable(client_for):
    job = Job.objects.create(kind="test", title="任务", owner=UserFactory())
    url = job.get_absolute_url()
    assert str(job.pk) not in url.split("/") and str(job.token) in url
    assert len(str(job.token).replace("-", "")) == 32  # 122 random bits
    assert client_for(job.owner).get(f"/jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db
def test_downloading_a_result_with_full_id_numbers_is_audited_as_a_reveal(client_for, settings):
    owner = UserFactory(role="office")
    revealing = _finished_export(owner, settings, reveal=True)
    masked = _finished_export(owner, settings, reveal=False)
    client = client_for(owner)
    assert client.get(revealing.get_download_url()).status_code == 200
    assert client.get(masked.get_download_url()).status_code == 200
    reveal = AuditEvent.objects.get(kind="reveal", object_id=str(revealing.pk))
    assert reveal.actor == owner and "完整身份证号" in reveal.summary
    assert AuditEvent.objects.filter(kind="export", object_id=str(masked.pk)).exists()
    assert not AuditEvent.objects.filter(kind="reveal", object_id=str(masked.pk)).exists()
