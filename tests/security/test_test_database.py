"""Issue 19.13: the SQLite tests run on a WAL file database with a busy timeout, as production."""

import threading

import pytest
from django.db import connection, connections

from tests.factories import UserFactory
from xixin_dibao.models import Job


def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("只检查 SQLite 测试库")


@pytest.mark.django_db
def test_sqlite_test_database_is_a_wal_file_with_a_busy_timeout():
    _sqlite_only()
    name = str(connection.settings_dict["NAME"])
    assert "memory" not in name and name.endswith(".sqlite3")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == 30000
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)
def test_a_thread_writing_while_the_test_reads_waits_instead_of_table_is_locked():
    """What broke test_jobs.py on the shared-cache in-memory db: another connection's write."""
    _sqlite_only()
    owner = UserFactory()
    errors = []

    def writer():
        try:
            for i in range(50):
                Job.objects.create(kind="t", title=f"任务{i}", owner=owner)
        except Exception as exc:  # noqa: BLE001 - the assertion reports it
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        list(Job.objects.values_list("title", flat=True))
    for thread in threads:
        thread.join()
    assert errors == []
    assert Job.objects.count() == 150
