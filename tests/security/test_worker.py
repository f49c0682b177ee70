from datetime import timedelta

import pytest
from django.utils import timezone

from xixin_dibao.models import AuditEvent
from xixin_dibao.tasks import purge_old_audit


@pytest.mark.celery_worker
def test_real_worker_runs_the_retention_job(live_worker):
    old = AuditEvent.objects.create(kind="update", at=timezone.now() - timedelta(days=400))
    kept = AuditEvent.objects.create(kind="update")
    assert purge_old_audit.delay().get(timeout=60) == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
