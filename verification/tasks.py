"""Celery tasks: thin wrappers that call one service (run in-process when there is no broker)."""

from celery import shared_task


@shared_task(name="verification.tasks.enforce_deadlines")
def enforce_deadlines() -> list[dict]:
    """Reminders, unscreened list and bulletin, overdue marking for every active campaign."""
    from .services import deadlines

    return [report.as_dict() for report in deadlines.enforce_deadlines()]
