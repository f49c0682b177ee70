"""Many concurrent writers against the configured database; counts "database is locked" errors."""

import threading
import time

from django.core.management.base import BaseCommand
from django.db import OperationalError, close_old_connections, connection, transaction
from django.db.models import F

from households.models import Household, Township, Village


class Command(BaseCommand):
    help = "并发写入压力测试：N 个写入线程持续 S 秒，统计“database is locked”错误。"

    def add_arguments(self, parser):
        parser.add_argument("--writers", type=int, default=10)
        parser.add_argument("--seconds", type=float, default=30)

    def handle(self, *args, **options):
        township, _ = Township.objects.get_or_create(code="999999999", defaults={"name": "压测乡"})
        village, _ = Village.objects.get_or_create(
            code="999999999001", defaults={"name": "压测村", "township": township}
        )
        household, _ = Household.objects.get_or_create(
            code="STRESS-0001", defaults={"village": village, "head_name": "压测"}
        )
        deadline = time.monotonic() + options["seconds"]
        stats = {"writes": 0, "locked": 0, "other": 0, "max_ms": 0.0}
        lock = threading.Lock()

        def writer(n: int):
            close_old_connections()
            while time.monotonic() < deadline:
                started = time.monotonic()
                try:
                    with transaction.atomic():
                        # A read then a write in one transaction: the pattern that deadlocks
                        # under SQLite's default DEFERRED transactions.
                        Household.objects.filter(pk=household.pk).values_list("version").get()
                        Household.objects.filter(pk=household.pk).update(version=F("version") + 1)
                    key = "writes"
                except OperationalError as exc:
                    key = "locked" if "locked" in str(exc) else "other"
                elapsed = (time.monotonic() - started) * 1000
                with lock:
                    stats[key] += 1
                    stats["max_ms"] = max(stats["max_ms"], elapsed)
                time.sleep(0.01)
            connection.close()

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(options["writers"])]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.stdout.write(
            f"writes={stats['writes']} locked={stats['locked']} other={stats['other']} "
            f"max_ms={stats['max_ms']:.0f}"
        )
