"""Dossier batches: chunked Celery tasks, atomic files, resume after a crash, the ZIP."""

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from archives import batch, tasks
from archives.files import media_path, sha256_file
from archives.models import Dossier
from xixin_dibao.models import Job

from .factories import household_with_members

pytestmark = pytest.mark.django_db


@pytest.fixture
def village_households(village_a, village_b):
    households = [
        household_with_members(village_a, code=f"{village_a.code}-{i:04d}") for i in range(1, 6)
    ]
    household_with_members(village_b, code=f"{village_b.code}-0001")
    return households


def assert_complete(folder: Path, households):
    """One whole PDF per household, named by its code; no temp files, no extras."""
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f"{h.code}.pdf" for h in households)
    for household in households:
        path = folder / f"{household.code}.pdf"
        assert len(PdfReader(path).pages) >= 3  # cover, contents list, documents
        current = Dossier.objects.current_for(household.pk)
        assert sha256_file(path) == current.checksum


def zip_names(job: Job):
    path = Path(job.result_file)
    from django.conf import settings

    with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / path) as archive:
        names = archive.namelist()
        for name in names:
            if name.endswith(".pdf"):
                assert PdfReader(BytesIO(archive.read(name))).pages
        return names


def test_village_batch_from_the_archive_page_delivers_a_zip(
    client_for,
    officer_a,
    village_a,
    village_households,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(batch, "CHUNK_SIZE", 2)
    monkeypatch.setattr(tasks, "CHUNK_SIZE", 2)
    chunks = []
    original = tasks.run_chunk
    monkeypatch.setattr(
        tasks, "run_chunk", lambda ids, *a, **k: chunks.append(list(ids)) or original(ids, *a, **k)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer_a).post(
            reverse("archives:batch_create"), {"village": village_a.pk}
        )

    job = Job.objects.get(kind="dossier_batch")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == Job.Status.DONE, job.message
    assert [len(c) for c in chunks] == [2, 2, 1]  # chunks of households, not one task each
    assert job.done == job.total == 5
    assert_complete(tasks.batch_dir(job), village_households)
    names = zip_names(job)
    assert sorted(n for n in names if n.endswith(".pdf")) == sorted(
        f"{village_a.code}{village_a.name}/{h.code}.pdf" for h in village_households
    )
    assert batch.MANIFEST_NAME in names
    page = client_for(officer_a).get(job.get_absolute_url())
    assert "下载结果" in page.content.decode()


def test_batch_resumes_after_a_crash_without_duplicates_or_corrupt_files(
    office_user, village_a, village_households
):
    job = Job.objects.create(
        kind="dossier_batch",
        title="保合村一户一档PDF档案包",
        owner=office_user,
        params={"village_id": village_a.pk},
        status=Job.Status.RUNNING,
    )
    folder = tasks.batch_dir(job)
    first, second, *rest = village_households
    # the worker got through two households, then died while writing the third and fourth
    tasks.build_dossier_chunk(job.pk, [first.pk, second.pk])
    (folder / f".{rest[0].code}.pdf.0123abcd.partial").write_bytes(b"%PDF-1.7 partial")
    (folder / f"{rest[1].code}.pdf").write_bytes(b"%PDF-1.7 truncated by a non-atomic tool")
    before = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.pdf")}

    tasks.build_dossier_batch(job.pk)  # the redelivered job runs again
    tasks.build_dossier_chunk(job.pk, [first.pk])  # and a late duplicate chunk does nothing

    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert_complete(folder, village_households)
    # households already on disk were skipped, not rewritten
    assert (folder / f"{first.code}.pdf").stat().st_mtime_ns == before[f"{first.code}.pdf"]
    # one dossier version per household: nothing was built twice
    assert Dossier.objects.filter(household__village=village_a).count() == 5
    assert len([n for n in zip_names(job) if n.endswith(".pdf")]) == 5


def test_finished_job_is_not_run_again(office_user, village_a, village_households):
    job = Job.objects.create(
        kind="dossier_batch",
        title="x",
        owner=office_user,
        params={"village_id": village_a.pk},
        status=Job.Status.DONE,
    )
    tasks.build_dossier_batch(job.pk)
    assert not any(tasks.batch_dir(job).iterdir())


def test_build_dossiers_command_is_resumable(tmp_path, village_a, village_households):
    out = tmp_path / "out"
    call_command("build_dossiers", "--village", village_a.code, "--out", str(out))
    assert_complete(out, village_households)
    stamp = (out / f"{village_households[0].code}.pdf").stat().st_mtime_ns
    (out / f".{village_households[1].code}.pdf.dead.partial").write_bytes(b"partial")
    (out / f"{village_households[1].code}.pdf").unlink()

    call_command("build_dossiers", "--village", village_a.code, "--out", str(out))

    assert_complete(out, village_households)
    assert (out / f"{village_households[0].code}.pdf").stat().st_mtime_ns == stamp
    call_command(
        "build_dossiers", "--household", village_households[2].code, "--out", str(tmp_path / "one")
    )
    assert [p.name for p in (tmp_path / "one").iterdir()] == [f"{village_households[2].code}.pdf"]


def test_batch_permissions(client_for, officer_a, village_b, leader, village_households):
    url = reverse("archives:batch_create")
    assert client_for(officer_a).post(url, {"village": village_b.pk}).status_code == 404
    assert client_for(officer_a).post(url, {}).status_code == 403  # the township is the office's
    assert client_for(leader).post(url, {}).status_code == 403
    assert not Job.objects.exists()


def test_two_workers_building_the_same_household_store_one_version(
    monkeypatch, office_user, village_a
):
    """A redelivered chunk can run beside the original: the slower build reuses the faster one's."""
    from archives import services

    household = household_with_members(village_a)
    real_compile = services.compile_dossier
    calls = []

    def compile_while_another_worker_finishes(h, plan=None):
        compiled = real_compile(h, plan)
        if not calls:
            calls.append(1)
            services.ensure_dossier(household=h, actor=office_user)  # the other worker wins
        return compiled

    monkeypatch.setattr(services, "compile_dossier", compile_while_another_worker_finishes)
    dossier, _ = services.ensure_dossier(household=household, actor=office_user)

    assert Dossier.objects.filter(household=household).count() == 1
    assert dossier.version == 1
    assert len(list((Path(media_path(dossier.file)).parent).glob("*.pdf"))) == 1


def test_a_stalled_batch_can_be_resumed_from_the_archive_page(
    client_for,
    officer_a,
    officer_b,
    leader,
    village_a,
    village_households,
    django_capture_on_commit_callbacks,
):
    job = Job.objects.create(
        kind="dossier_batch",
        title="保合村一户一档PDF档案包",
        owner=officer_a,
        params={"village_id": village_a.pk},
        status=Job.Status.RUNNING,
        total=5,
        done=2,
    )
    url = reverse("archives:batch_resume", args=[job.token])
    assert client_for(officer_b).post(url).status_code == 404  # not theirs
    assert client_for(leader).post(url).status_code == 403  # leadership: aggregates only
    assert "继续生成" in client_for(officer_a).get(reverse("archives:index")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer_a).post(url)

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result_file
    assert_complete(tasks.batch_dir(job), village_households)


def test_a_full_disk_fails_the_batch_in_chinese_and_leaves_no_partial_file(
    client_for, officer_a, village_a, village_households, settings, full_disk,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client_for(officer_a).post(reverse("archives:batch_create"), {"village": village_a.pk})
    job = Job.objects.get(kind="dossier_batch")
    assert job.status == Job.Status.FAILED and "磁盘空间不足" in job.message, job.message
    assert not job.result_file
    written = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert not [p for p in written if p.name.endswith((".partial", ".zip"))], written
    for pdf in (p for p in written if p.suffix == ".pdf"):
        assert PdfReader(pdf).pages  # any PDF there is whole
