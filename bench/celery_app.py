"""The project's Celery app, with every task sent to the benchmark's own queue.

Started as `celery -A bench.celery_app worker -Q $BENCH_CELERY_QUEUE`, so the bench's workers
never take the user's tasks and the user's workers never take the bench's (the chord callback
is sent from a worker, so the worker needs the same routing as the process starting the batch).
"""

import os

from xixin_dibao.celery import app

QUEUE = os.environ["BENCH_CELERY_QUEUE"]
app.conf.task_default_queue = QUEUE
app.conf.task_routes = {"*": {"queue": QUEUE}}

__all__ = ["app"]
