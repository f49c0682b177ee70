"""Issue 19.3: the audit is hash-chained, and verify_audit names the first broken link."""

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from tests.factories import UserFactory
from xixin_dibao.audit import record_security
from xixin_dibao.audit_chain import GENESIS
from xixin_dibao.models import AuditEvent

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only (SQLite has no roles)"
)


def events(n):
    return [AuditEvent.objects.create(kind="update", summary=f"第{i}条") for i in range(n)]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def raw_tamper(sql, params):
    """Change the audit table behind the app's back (the trigger is switched off on PostgreSQL)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.django_db
def test_each_row_carries_the_previous_rows_hash():
    rows = events(4)
    assert AuditEvent.objects.order_by("id").first().prev_hash == GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash and len(after.hash) == 64
    assert "共 4 条" in verify()


@pytest.mark.django_db
def test_bulk_created_rows_are_chained_too():
    first = events(1)[0]
    AuditEvent.objects.bulk_create(
        [AuditEvent(kind="create", summary=f"批量{i}") for i in range(3)]
    )
    stored = list(AuditEvent.objects.order_by("id"))
    assert stored[1].prev_hash == first.hash
    assert all(b.prev_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    verify()


@pytest.mark.django_db
def test_an_edited_row_is_named():
    rows = events(5)
    raw_tamper("UPDATE xixin_dibao_auditevent SET summary = %s WHERE id = %s", ["改过", rows[2].pk])
    with pytest.raises(CommandError, match=rf"第 {rows[2].pk} 号记录.*本条被修改"):
        verify()


@pytest.mark.django_db
def test_a_deleted_row_breaks_the_next_link():
    rows = events(5)
    raw_tamper("DELETE FROM xixin_dibao_auditevent WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError, match=rf"第 {rows[2].pk} 号记录.*不衔接"):
        verify()


@pytest.mark.django_db
def test_a_rehashed_edit_still_breaks_the_chain():
    """An attacker who recomputes the edited row's own hash is caught at the next row."""
    from xixin_dibao.audit_chain import row_hash, values_of

    rows = events(3)
    target = rows[1]
    target.summary = "改过"
    forged = row_hash(values_of(target), target.prev_hash)
    raw_tamper(
        "UPDATE xixin_dibao_auditevent SET summary = %s, hash = %s WHERE id = %s",
        ["改过", forged, target.pk],
    )
    with pytest.raises(CommandError, match=rf"第 {rows[2].pk} 号记录"):
        verify()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    """Eight threads append at once; the advisory lock keeps the chain linear."""
    UserFactory(username="chain_user")
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    record_security(kind="export", summary=f"线程{n}-{i}")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEvent.objects.filter(kind="export").count() == 80
    assert "审计链完整" in verify()


@pytest.mark.django_db
def test_hashes_survive_the_backup_serialisation():
    """Backups (dumpdata/loaddata) keep datetimes to the millisecond; the chain still verifies."""
    from django.core import serializers

    from xixin_dibao.audit_chain import row_hash, values_of

    user = UserFactory(username="backup_actor")
    record_security(actor=user, kind="reveal", summary="查看 500240197005011234")
    AuditEvent.objects.create(kind="update", before={"金额": "581.00"}, after={"金额": "600.00"})
    dumped = serializers.serialize("json", AuditEvent.objects.order_by("id"))
    restored = [d.object for d in serializers.deserialize("json", dumped)]
    assert len(restored) >= 2
    for event in restored:
        assert row_hash(values_of(event), event.prev_hash) == event.hash
