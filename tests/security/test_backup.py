import pytest
from django.core.management import call_command
from django.db import connection

from households.models import Household, Member
from tests.factories import HouseholdFactory, MemberFactory
from xixin_dibao.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_fresh_database_keeps_rows_and_files(tmp_path, settings):
    household = HouseholdFactory(head_name="谭堃")
    MemberFactory(household=household, name="谭堃")
    AuditEvent.objects.create(kind="create", household_id=household.pk, summary="登记")
    scan = settings.MEDIA_ROOT / "scans" / "ab" / "scan.pdf"
    scan.parent.mkdir(parents=True)
    scan.write_bytes(b"%PDF-1.4 test scan")
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", out=str(archive))
    ids = sorted(Member.objects.values_list("id_number", flat=True))

    # Wipe everything (a fresh database) and the media folder, then restore.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE xixin_dibao_auditevent DISABLE TRIGGER USER")
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE xixin_dibao_auditevent ENABLE TRIGGER USER")
    scan.unlink()
    assert not Household.objects.exists()

    call_command("restore", str(archive))
    assert Household.objects.get().head_name == "谭堃"
    assert sorted(Member.objects.values_list("id_number", flat=True)) == ids
    assert AuditEvent.objects.filter(summary="登记").exists()
    assert scan.read_bytes() == b"%PDF-1.4 test scan"


@pytest.mark.django_db
def test_restore_refuses_a_corrupt_archive(tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tar")
    with pytest.raises(Exception):  # noqa: B017 - tarfile raises ReadError
        call_command("restore", str(bad))
    with pytest.raises(CommandError, match="不存在"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
