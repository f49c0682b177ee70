"""Celery app: broker is REDIS_URL; without one, tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xixin_dibao.settings")

app = Celery("xixin_dibao")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
