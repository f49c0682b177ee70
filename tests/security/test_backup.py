"""Issue 19.9: backups from one consistent snapshot, encrypted, mode 0600, verified on restore."""

import os
import re
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from households.models import Household, Member
from tests.factories import HouseholdFactory, MemberFactory, UserFactory, VillageFactory
from xixin_dibao import backup_crypto, backups
from xixin_dibao.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
KEY = backup_crypto.new_key()
ID_PATTERN = re.compile(rb"(?<!\d)\d{17}[\dXx](?!\d)")


@pytest.fixture
def backup_key(settings):
    settings.BACKUP_KEY = KEY
    return KEY


def _flush():
    """Empty the test database as a fresh one would be (the audit table refuses deletes)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE xixin_dibao_auditevent DISABLE TRIGGER USER")
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE xixin_dibao_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db(transaction=True)
def test_backup_is_encrypted_0600_and_restores_every_table_with_files(
    tmp_path, settings, backup_key
):
    from axes.models import AccessLog
    from django.contrib.admin.models import ADDITION, LogEntry

    household = HouseholdFactory(head_name="谭堃")
    MemberFactory(household=household, name="谭堃")
    AuditEvent.objects.create(kind="create", household_id=household.pk, summary="登记")
    admin = UserFactory(username="sysadmin", role="admin")
    LogEntry.objects.log_action(admin.pk, None, str(household.pk), "谭堃", ADDITION, "后台新增")
    AccessLog.objects.create(username="sysadmin", ip_address="127.0.0.1", user_agent="t")
    scan = settings.MEDIA_ROOT / "scans" / "ab" / "scan.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4 test scan")
    archive = tmp_path / "backup.xdb"
    call_command("backup", out=str(archive))

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    raw = archive.read_bytes()
    assert raw.startswith(backup_crypto.MAGIC)
    assert not ID_PATTERN.search(raw) and "谭堃".encode() not in raw
    ids = sorted(Member.objects.values_list("id_number", flat=True))

    _flush()
    scan.unlink()
    assert not Household.objects.exists() and not LogEntry.objects.exists()

    call_command("restore", str(archive))
    assert Household.objects.get().head_name == "谭堃"
    assert sorted(Member.objects.values_list("id_number", flat=True)) == ids
    assert AuditEvent.objects.filter(summary="登记").exists()
    assert LogEntry.objects.get().change_message == "后台新增"  # django_admin_log too
    assert AccessLog.objects.filter(username="sysadmin").exists()
    assert scan.read_bytes() == b"%PDF-1.4 test scan"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("microsecond", [456, 123456, 0])
def test_timestamps_restore_to_the_microsecond(tmp_path, backup_key, microsecond):
    """Django's JSON cut 12:00:00.000456 to ".000": restored as 12:00:00, the checksum failed."""
    import datetime

    household = HouseholdFactory()
    stamp = datetime.datetime(2022, 11, 10, 9, 30, 0, microsecond, tzinfo=datetime.UTC)
    Household.objects.filter(pk=household.pk).update(created_at=stamp, survey_completed_at=stamp)
    archive = tmp_path / "ts.xdb"
    call_command("backup", out=str(archive))
    _flush()
    call_command("restore", str(archive))
    restored = Household.objects.get(pk=household.pk)
    assert restored.created_at == stamp and restored.survey_completed_at == stamp


@pytest.mark.django_db
def test_every_table_is_backed_up_or_rebuilt_by_migrate():
    tables = set(connection.introspection.table_names())
    missing = tables - backups.backed_up_tables() - backups.REBUILT_TABLES
    assert not missing, f"备份未包含：{sorted(missing)}"
    assert "django_admin_log" in backups.backed_up_tables()


@pytest.mark.django_db
def test_backup_refuses_without_a_key_and_unencrypted_only_outside_production(tmp_path, settings):
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="BACKUP_KEY"):
        call_command("backup", out=str(tmp_path / "a.xdb"))
    assert not (tmp_path / "a.xdb").exists()
    settings.BACKUP_KEY = "too-short"
    with pytest.raises(CommandError, match="格式错误"):
        call_command("backup", out=str(tmp_path / "a.xdb"))
    settings.SECURE_PRODUCTION = True
    with pytest.raises(CommandError, match="不允许不加密"):
        call_command("backup", out=str(tmp_path / "a.xdb"), unencrypted=True)


@pytest.mark.django_db(transaction=True)
def test_unencrypted_demo_backup_still_restores(tmp_path, settings):
    settings.BACKUP_KEY = ""
    HouseholdFactory(head_name="冉瑜")
    archive = tmp_path / "demo.tar.gz"
    call_command("backup", out=str(archive), unencrypted=True)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    _flush()
    call_command("restore", str(archive))
    assert Household.objects.get().head_name == "冉瑜"


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_wrong_key_a_changed_byte_and_a_cut_file(tmp_path, settings, backup_key):
    HouseholdFactory()
    archive = tmp_path / "b.xdb"
    call_command("backup", out=str(archive))
    raw = archive.read_bytes()
    _flush()
    settings.BACKUP_KEY = backup_crypto.new_key()
    with pytest.raises(CommandError, match="密钥不对"):
        call_command("restore", str(archive))
    settings.BACKUP_KEY = KEY
    changed = tmp_path / "changed.xdb"
    changed.write_bytes(raw[:200] + bytes([raw[200] ^ 1]) + raw[201:])
    with pytest.raises(CommandError, match="文件已被修改"):
        call_command("restore", str(changed))
    cut = tmp_path / "cut.xdb"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CommandError, match="无法读取|不完整|已被修改"):
        call_command("restore", str(cut))
    assert not Household.objects.exists()
    with pytest.raises(CommandError, match="不存在"):
        call_command("restore", str(tmp_path / "missing.xdb"))


def _writer(village, stop: threading.Event, errors: list, written: list) -> None:
    """One transaction per household: the household, two members and its audit row."""
    from django.db import connections

    try:
        while not stop.is_set():
            with transaction.atomic():
                household = HouseholdFactory(village=village, code=f"W{uuid.uuid4().hex[:10]}")
                MemberFactory(household=household, relation="head")
                MemberFactory(household=household, relation="child")
                AuditEvent.objects.create(
                    kind="create", household_id=household.pk, summary="并发写入"
                )
            written.append(household.pk)
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)
    finally:
        connections.close_all()


class FreshDatabase:
    """A brand-new database (SQLite file or PostgreSQL database) for a restore subprocess."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        self.env.pop("REDIS_URL", None)
        self.env["MEDIA_ROOT"] = str(tmp_path / "restored-media")
        self.env["BACKUP_KEY"] = KEY
        self.pg_name = None
        if connection.vendor == "postgresql":
            import psycopg2

            db = connection.settings_dict
            self.pg_name = f"xd_restore_{uuid.uuid4().hex[:8]}"
            self.dsn = dict(
                host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"]
            )
            if db.get("PASSWORD"):
                self.dsn["password"] = db["PASSWORD"]
            admin = psycopg2.connect(dbname="postgres", **self.dsn)
            admin.autocommit = True
            admin.cursor().execute(f'CREATE DATABASE "{self.pg_name}"')
            admin.close()
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            self.env["DATABASE_URL"] = (
                f"postgres://{db['USER']}{password}@{self.dsn['host']}:{self.dsn['port']}/"
                f"{self.pg_name}"
            )
        else:
            self.env["SQLITE_PATH"] = str(tmp_path / "fresh.sqlite3")

    def query(self, sql: str):
        if self.pg_name:
            import psycopg2

            conn = psycopg2.connect(dbname=self.pg_name, **self.dsn)
        else:
            import sqlite3

            conn = sqlite3.connect(self.env["SQLITE_PATH"])
        try:
            cursor = conn.cursor()
            cursor.execute(sql)
            return cursor.fetchone()[0]
        finally:
            conn.close()

    def drop(self):
        if self.pg_name:
            import psycopg2

            admin = psycopg2.connect(dbname="postgres", **self.dsn)
            admin.autocommit = True
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            admin.close()


@pytest.mark.django_db(transaction=True)
def test_backup_during_five_writers_restores_one_consistent_snapshot(tmp_path, backup_key):
    """The issue saw 40,577 vs 40,329 audit rows: tables were read at different moments."""
    village = VillageFactory()
    stop, errors, written = threading.Event(), [], []
    threads = [
        threading.Thread(target=_writer, args=(village, stop, errors, written)) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(written) < 25 and time.monotonic() < deadline and not errors:
        time.sleep(0.1)
    before = Household.objects.filter(village=village).count()
    archive = tmp_path / "during.xdb"
    call_command("backup", out=str(archive))
    after = Household.objects.filter(village=village).count()
    time.sleep(0.5)  # the writers keep going after the snapshot
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert Household.objects.filter(village=village).count() > after or len(written) > after

    fresh = FreshDatabase(tmp_path)
    try:
        result = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "restore", str(archive)],
            env=fresh.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert "行数与校验和逐表一致" in result.stdout
        village_id = village.pk
        households = fresh.query(
            f"SELECT COUNT(*) FROM households_household WHERE village_id = {village_id}"
        )
        members = fresh.query(
            "SELECT COUNT(*) FROM households_member m JOIN households_household h"
            f" ON h.id = m.household_id WHERE h.village_id = {village_id}"
        )
        audit = fresh.query(
            "SELECT COUNT(*) FROM xixin_dibao_auditevent WHERE summary = '并发写入'"
        )
    finally:
        fresh.drop()
    assert before <= households <= after
    assert members == 2 * households  # never a household without its members, or the reverse
    assert audit == households  # never an audit row without its household
