import pytest
from django.test import Client

from tests.factories import CampaignFactory, OfficerFactory, UserFactory, VillageFactory


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def village_a(db):
    return VillageFactory(code="500240214201", name="保合村")


@pytest.fixture
def village_b(db):
    return VillageFactory(code="500240214202", name="万寿村")


@pytest.fixture
def officer_a(village_a):
    return OfficerFactory(username="officer_a", village=village_a)


@pytest.fixture
def officer_b(village_b):
    return OfficerFactory(username="officer_b", village=village_b)


@pytest.fixture
def office_user(db):
    return UserFactory(username="office", role="office")


@pytest.fixture
def leader(db):
    return UserFactory(username="leader", role="leadership")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for


@pytest.fixture(autouse=True)
def _no_second_factor_by_default(settings):
    """Tests sign in with a password only; tests/security/test_otp.py switches TOTP on."""
    settings.OTP_REQUIRED = False


@pytest.fixture(autouse=True)
def _eager_celery_by_default(settings):
    """Tasks run in-process unless a test asks for a real worker (`live_worker`)."""
    from xixin_dibao.celery import app

    settings.EMBEDDED_JOBS_IN_THREADS = False  # tests wait for jobs; see test_jobs.py for threads
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Each test writes uploads and generated files into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_STORAGE_ROOT = settings.MEDIA_ROOT
    return settings.MEDIA_ROOT


@pytest.fixture
def live_worker(transactional_db, settings, _media_root):
    """A real Celery worker process on Redis, using this test's PostgreSQL database.

    Needs REDIS_URL and a PostgreSQL DATABASE_URL (as in CI); skipped otherwise.
    """
    import os
    import subprocess
    import sys
    import time
    import uuid

    from django.db import connection

    from xixin_dibao.celery import app

    if not os.environ.get("REDIS_URL") or connection.vendor != "postgresql":
        pytest.skip("需要 REDIS_URL 与 PostgreSQL（CI 中运行）")
    db = connection.settings_dict
    env = dict(os.environ)
    env["DATABASE_URL"] = (
        f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["MEDIA_ROOT"] = str(_media_root)
    app.conf.task_always_eager = False
    app.control.purge()
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    # Everything the worker writes is kept, so tests can read its log (issue 19.6).
    log_path = _media_root.parent / f"worker-{uuid.uuid4().hex[:8]}.log"
    log_file = log_path.open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "xixin_dibao",
            "worker",
            "-l",
            "warning",
            "-c",
            "1",
            "-Q",
            "celery,dossiers,screening",
            "-n",
            name,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            break
        if proc.poll() is not None:
            raise RuntimeError("Celery worker 启动失败")
    else:
        proc.kill()
        raise RuntimeError("Celery worker 60 秒内未就绪")

    class Worker:
        process = proc
        environment = env
        log = log_path

        @staticmethod
        def restart():
            """Start a fresh worker (after a test killed the first)."""
            Worker.process = subprocess.Popen(
                Worker.process.args, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
            end = time.monotonic() + 60
            while time.monotonic() < end and not app.control.ping(timeout=1.0):
                pass
            return Worker.process

    yield Worker
    for p in {proc, Worker.process}:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    log_file.close()
    app.control.purge()


ID_NUMBER = __import__("re").compile(r"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture(autouse=True)
def no_id_numbers_in_logs():
    """Every test: each line the configured log handlers write is checked for a full ID number.

    The console handler of settings.LOGGING (mask filter + masking formatter) is pointed at a
    buffer for the test; a full 18-character ID number in any line fails the test (issue 7.4).
    """
    import io
    import logging

    from django.conf import settings

    buffer = io.StringIO()
    swapped = []
    configured = set(settings.LOGGING["handlers"])
    for handler in logging.getLogger().handlers:
        # Only the app's own handlers (settings.LOGGING), not pytest's capture handlers.
        if isinstance(handler, logging.StreamHandler) and handler.get_name() in configured:
            swapped.append((handler, handler.setStream(buffer)))
    yield buffer
    for handler, stream in swapped:
        handler.setStream(stream)
    leaked = [line for line in buffer.getvalue().splitlines() if ID_NUMBER.search(line)]
    assert not leaked, f"日志中出现完整身份证号：{leaked[:3]}"


class _FullDisk:
    """A file handle that takes `room` bytes and then fails as a full disk does."""

    def __init__(self, real, room):
        self.real, self.room = real, room

    def write(self, data):
        import errno

        if len(data) > self.room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.real.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.fixture
def full_disk(monkeypatch):
    """Files written by the app's writer hit ENOSPC after 1 KB (as a nearly full disk would)."""
    import os
    import types

    from xixin_dibao import diskwrite

    fake_os = types.SimpleNamespace(**vars(os))
    fake_os.fdopen = lambda *a, **k: _FullDisk(os.fdopen(*a, **k), 1024)
    monkeypatch.setattr(diskwrite, "os", fake_os)
