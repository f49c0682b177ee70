"""Hash chain over the audit trail: each row carries the hash of the one before it (issue 19.3).

Rows are chained in id order. Writers take one lock while they read the last hash and insert,
so two transactions never chain onto the same row:
- PostgreSQL: a transaction-level advisory lock, held until commit;
- SQLite: the IMMEDIATE transaction already holds the database's write lock.
"""

import hashlib
import json
from datetime import UTC

from django.db import connections, transaction

GENESIS = "0" * 64
# pg_advisory_xact_lock key: "XAUD" as an integer, private to this app.
ADVISORY_LOCK_KEY = 0x58415544
HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_name",
    "kind",
    "model",
    "object_id",
    "household_id",
    "summary",
    "before",
    "after",
    "ip_address",
    "success",
)


def canonical(values: dict, prev_hash: str) -> bytes:
    """Return the bytes hashed for one row: its fields and the previous row's hash."""
    data = {name: values.get(name) for name in HASHED_FIELDS}
    at = data["at"]
    data["at"] = at.astimezone(UTC).isoformat(timespec="milliseconds") if at else None
    data["object_id"] = str(data["object_id"] or "")
    data["ip_address"] = str(data["ip_address"]) if data["ip_address"] else None
    data["prev_hash"] = prev_hash
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_hash(values: dict, prev_hash: str) -> str:
    return hashlib.sha256(canonical(values, prev_hash)).hexdigest()


def values_of(event) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _truncate_to_milliseconds(event) -> None:
    # Backups serialise datetimes to milliseconds; the hash must survive a restore.
    if event.at is not None:
        event.at = event.at.replace(microsecond=event.at.microsecond // 1000 * 1000)


def _lock_and_read_last(model, using: str) -> str:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    last = model._base_manager.using(using).order_by("-id").values_list("hash", flat=True).first()
    return last or GENESIS


def chain(model, events: list, using: str, insert) -> None:
    """Link `events` after the last stored row and insert them with `insert()`, under the lock."""
    with transaction.atomic(using=using):
        prev = _lock_and_read_last(model, using)
        for event in events:
            _truncate_to_milliseconds(event)
            event.prev_hash = prev
            event.hash = row_hash(values_of(event), prev)
            prev = event.hash
        return insert()


def find_first_break(rows) -> tuple[int, str] | None:
    """Walk rows (dicts in id order) and return (id, reason) of the first broken link, or None.

    The first row's prev_hash is trusted: older rows may have been purged after the retention
    period (at least 184 days).
    """
    prev = None
    for row in rows:
        if prev is not None and row["prev_hash"] != prev:
            return row["id"], "与前一条记录的哈希不衔接（前一条被修改、删除或插入了记录）"
        if row_hash(row, row["prev_hash"]) != row["hash"]:
            return row["id"], "记录内容与其哈希不符（本条被修改）"
        prev = row["hash"]
    return None
