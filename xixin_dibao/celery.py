"""Celery app: broker is REDIS_URL; without one, tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xixin_dibao.settings")

app = Celery("xixin_dibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def use_django_logging(**kwargs):
    """The worker logs through settings.LOGGING, whose filter masks ID numbers (issue 19.6).

    Without this, Celery replaces the root handlers with its own, which skip the masking.
    """
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
