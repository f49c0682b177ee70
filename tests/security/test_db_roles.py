"""Issue 19.3: on PostgreSQL the app's role cannot erase or switch off the audit (skipped on SQLite)."""

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from xixin_dibao.models import AuditEvent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def roles():
    """An owner and an app role private to this test database, dropped afterwards."""
    name = connection.settings_dict["NAME"][:40]
    owner, app = f"{name}_owner", f"{name}_app"
    call_command("setup_db_roles", owner=owner, app=app)
    yield owner, app
    with connection.cursor() as cursor:
        cursor.execute(f'REASSIGN OWNED BY "{owner}" TO CURRENT_USER')
        for role in (owner, app):
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


def connect_as(role):
    db = connection.settings_dict
    conn = psycopg2.connect(
        dbname=db["NAME"], user=role, host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432
    )
    conn.autocommit = True
    return conn


def refused(conn, statement) -> bool:
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    except psycopg2.Error:
        return True
    return False


def test_app_role_cannot_truncate_alter_or_switch_off_the_audit(roles):
    _, app = roles
    event = AuditEvent.objects.create(kind="login", summary="审计测试")
    conn = connect_as(app)
    try:
        with conn.cursor() as cursor:  # the app works normally
            cursor.execute("SELECT count(*) FROM xixin_dibao_auditevent")
            assert cursor.fetchone()[0] >= 1
            cursor.execute("SELECT count(*) FROM households_household")
            cursor.execute("SELECT pg_advisory_xact_lock(1)")
            cursor.execute(
                "INSERT INTO xixin_dibao_auditevent (at, actor_name, kind, model, object_id, "
                "summary, success, prev_hash, hash) "
                "VALUES (now(), '', 'login', '', '', '追加', true, '', '')"
            )
        table = "xixin_dibao_auditevent"
        assert refused(conn, f"TRUNCATE {table}")
        assert refused(conn, f"ALTER TABLE {table} DISABLE TRIGGER xixin_audit_append_only")
        assert refused(conn, f"ALTER TABLE {table} DROP COLUMN hash")
        assert refused(conn, f"DROP TABLE {table}")
        assert refused(conn, "SET session_replication_role = replica")
        assert refused(conn, f"UPDATE {table} SET summary = 'x' WHERE id = {event.pk}")
        assert refused(conn, f"DELETE FROM {table} WHERE id = {event.pk}")  # the trigger
    finally:
        conn.close()
    assert AuditEvent.objects.filter(pk=event.pk, summary="审计测试").exists()


def test_owner_can_tamper_but_verify_audit_names_the_row(roles):
    owner, _ = roles
    rows = [AuditEvent.objects.create(kind="export", summary=f"导出{i}") for i in range(3)]
    conn = connect_as(owner)
    try:
        with conn.cursor() as cursor:
            table = "xixin_dibao_auditevent"
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER xixin_audit_append_only")
            cursor.execute(f"UPDATE {table} SET actor_name = '别人' WHERE id = {rows[1].pk}")
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER xixin_audit_append_only")
    finally:
        conn.close()
    with pytest.raises(CommandError, match=rf"第 {rows[1].pk} 号记录"):
        call_command("verify_audit")


def test_setup_refuses_the_same_name_for_both_roles():
    with pytest.raises(CommandError, match="必须不同"):
        call_command("setup_db_roles", owner="same", app="same")
