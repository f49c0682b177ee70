from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import HouseholdFactory, UserFactory
from xixin_dibao.models import AuditEvent
from xixin_dibao.tasks import purge_old_audit

pytestmark = pytest.mark.django_db


def make_event(**kwargs):
    return AuditEvent.objects.create(kind="update", summary="测试", **kwargs)


def test_audit_records_cannot_be_changed_or_deleted_through_the_model():
    event = make_event()
    event.summary = "篡改"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()


def test_admin_offers_no_change_or_delete(client_for):
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    event = make_event()
    client = client_for(admin)
    change = client.post(
        reverse("admin:xixin_dibao_auditevent_change", args=[event.pk]), {"summary": "篡改"}
    )
    assert change.status_code == 403
    delete = client.post(
        reverse("admin:xixin_dibao_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.summary == "测试"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgres_trigger_blocks_raw_update_and_delete():
    event = make_event()
    for sql in (
        "UPDATE xixin_dibao_auditevent SET summary='x' WHERE id=%s",
        "DELETE FROM xixin_dibao_auditevent WHERE id=%s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, summary="测试").exists()


def test_retention_purge_keeps_at_least_184_days(settings):
    settings.AUDIT_RETENTION_DAYS = 30  # configured below the legal floor: 184 days still apply
    old = make_event(at=timezone.now() - timedelta(days=200))
    recent = make_event(at=timezone.now() - timedelta(days=100))
    assert purge_old_audit() == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


def test_household_page_shows_history_to_office(client_for, office_user, officer_a, village_a):
    household = HouseholdFactory(village=village_a)
    AuditEvent.objects.create(
        kind="update", household_id=household.pk, summary="修改住址", actor_name="王静"
    )
    office_body = client_for(office_user).get(household.get_absolute_url()).content.decode()
    assert "修改记录" in office_body and "修改住址" in office_body
    officer_body = client_for(officer_a).get(household.get_absolute_url()).content.decode()
    assert "修改住址" not in officer_body
