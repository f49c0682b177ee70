"""Periodic housekeeping tasks."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction

from xixin_dibao import clock

from .exports import export_list_task  # noqa: F401  (the worker finds list exports here)
from .models import AuditEvent


@shared_task
def purge_old_audit() -> int:
    """Delete audit entries older than AUDIT_RETENTION_DAYS (never fewer than 184 days)."""
    days = max(settings.AUDIT_RETENTION_DAYS, 184)
    cutoff = clock.now() - timedelta(days=days)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL xixin.audit_purge = 'on'")
        # QuerySet.delete() bypasses AuditEvent.delete(): this is the one sanctioned path.
        deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


@shared_task(name="xixin_dibao.tasks.refresh_dashboard")
def refresh_dashboard(campaign_id: int | None = None) -> int:
    """Recompute the progress dashboard of one campaign, or of every active one (P-7)."""
    from households.models import Campaign

    from .dashboard import refresh_snapshot

    campaigns = Campaign.objects.select_related("township")
    if campaign_id:
        campaigns = campaigns.filter(pk=campaign_id)
    else:
        campaigns = campaigns.current_campaigns()
    count = 0
    for campaign in campaigns:
        refresh_snapshot(campaign=campaign)
        count += 1
    return count


@shared_task(name="xixin_dibao.tasks.recover_jobs")
def recover_jobs() -> int:
    """Fail jobs whose worker died and delete orphaned uploads (issue 19.10)."""
    from .jobs import recover_jobs as recover

    failed, removed = recover()
    return len(failed) + len(removed)
