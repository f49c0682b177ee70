"""Run the periodic jobs in-process when there is no Celery beat (the embedded `make run` mode)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand

from xixin_dibao.celery import app


class Command(BaseCommand):
    help = "无 Redis/Celery 时在本进程内按计划运行截止日检查等定时任务。"

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="每个任务运行一次后退出")

    def handle(self, *args, **options):
        # Import every app's tasks module so that beat entries resolve to registered tasks.
        app.loader.import_default_modules()
        schedule = settings.CELERY_BEAT_SCHEDULE
        next_run = {name: 0.0 for name in schedule}
        while True:
            now = time.monotonic()
            for name, entry in schedule.items():
                if now >= next_run[name]:
                    task = app.tasks.get(entry["task"])
                    if task is None:
                        self.stderr.write(f"定时任务 {name} 未注册：{entry['task']}")
                    else:
                        try:
                            task.apply()
                        except Exception as exc:  # noqa: BLE001 - keep the scheduler alive
                            self.stderr.write(f"定时任务 {name} 失败：{exc}")
                    next_run[name] = now + float(entry["schedule"])
            if options["once"]:
                return
            time.sleep(30)
