"""Measurements that need a process of their own (peak memory): `python -m bench.subproc KIND …`.

Peak memory is the process's peak resident set size: everything it held at its worst moment,
Django included. It is read as VmHWM from /proc/self/status, the kernel's high-water mark of
this process's own memory. `resource.getrusage(RUSAGE_SELF).ru_maxrss` is printed too but not
used: on Linux it keeps the high-water mark from before exec, i.e. the bench process that
forked this one (it reported the parent's 270 MB for a bare read-only pass).
Prints one JSON line. Runs against the database named by the environment (the bench database).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    """The current resident set size (VmRSS), in MB."""
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    """The peak resident set size of this process since exec (VmHWM), in MB."""
    return _status_mb("VmHWM")


def read_pass(path: str) -> dict:
    """A bare openpyxl read-only pass: every row of every sheet, values only."""
    from openpyxl import load_workbook

    before = _rss_mb()
    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    rows = 0
    for sheet in workbook.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            rows += 1
    workbook.close()
    return {"seconds": time.perf_counter() - started, "rows": rows, "rss_before_mb": before}


def import_file(path: str, username: str) -> dict:
    """The real import (parse, validate, write in one transaction), as the web page runs it.

    The re-screening it schedules after commit (a Celery task) is counted, not run: it is a
    separate background job, not part of the import.
    """
    from unittest import mock

    from django.contrib.auth import get_user_model

    from households.importing import import_households_file
    from screening import tasks

    actor = get_user_model().objects.get(username=username)
    queued = []

    class Deferred:
        @staticmethod
        def delay(ids):
            queued.extend(ids)

    before = _rss_mb()
    started = time.perf_counter()
    with mock.patch.object(tasks, "screen_households", Deferred), open(path, "rb") as fh:
        result = import_households_file(
            actor=actor, fileobj=fh, filename=Path(path).name, max_bytes=1 << 30
        )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "ok": result.ok,
        "errors": [str(e) for e in result.errors[:5]],
        "error_count": len(result.errors),
        "summary": str(result.summary) if result.summary else "",
        "households": len(result.household_ids),
        "rescreen_queued": len(queued),
        "rss_before_mb": before,
    }


def roster(username: str, kind: str = "dibao") -> dict:
    """The 花名册 export of the user's scope to a temporary file, under tracemalloc.

    tracemalloc's peak counts only what Python allocated during the export (Django's own
    ~60 MB left out), so growth with the number of rows shows plainly.
    """
    import tempfile
    import tracemalloc

    from django.contrib.auth import get_user_model

    from archives.rosters import write_roster

    user = get_user_model().objects.get(username=username)
    before = _rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as target:
        result = write_roster(target, user=user, kind=kind)
        size = target.tell()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": seconds,
        "rows": result.rows,
        "bytes": size,
        "rss_before_mb": before,
        "traced_peak_mb": peak / 1024 / 1024,
    }


def main(argv: list[str]) -> None:
    import django

    django.setup()
    kind, args = argv[0], argv[1:]
    result = {"read": read_pass, "import": import_file, "roster": roster}[kind](*args)
    result["peak_rss_mb"] = _peak_mb()
    result["ru_maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
