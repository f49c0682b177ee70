"""Consistent, encrypted backups of the whole database and the uploaded files (issue 19.9).

Every table is read from one snapshot: on PostgreSQL one REPEATABLE READ, READ ONLY transaction;
on SQLite a copy made with SQLite's online backup API (one read transaction, writers carry on
in WAL mode). The rows go out as JSON lines; the manifest holds a row count and a SHA-256 per
table, computed from the very lines written, and restore recomputes both from the restored
database. Left out, because `migrate` rebuilds them and rows refer to them by natural key:
content types, permissions and the migration history. Sessions are left out on purpose: a
restored database must not accept the login cookies of the old one.
"""

import datetime
import hashlib
import json
import sqlite3
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.core import serializers
from django.core.management import call_command
from django.core.serializers import jsonl
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, transaction

EXCLUDE = ["contenttypes", "auth.permission", "sessions"]
FORMAT = "xdb_jsonl"
REBUILT_TABLES = {"django_migrations", "django_content_type", "auth_permission", "django_session"}


def backed_up_tables() -> set[str]:
    """Every table the backup holds (model tables and their many-to-many tables)."""
    tables = set()
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in EXCLUDE or label in EXCLUDE:
            continue
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
            for field in model._meta.local_many_to_many:
                tables.add(field.remote_field.through._meta.db_table)
    return tables


@contextmanager
def snapshot():
    """A database alias whose reads all see one consistent moment (outside any transaction)."""
    if connection.in_atomic_block:
        raise RuntimeError("备份须在事务之外运行，才能取得一致的快照。")
    if connection.vendor == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "snapshot.sqlite3"
            connection.ensure_connection()
            target = sqlite3.connect(copy)
            try:
                connection.connection.backup(target)  # all pages in one step: one snapshot
            finally:
                target.close()
            # This thread's connection reads the copy meanwhile; other threads keep writing.
            original = connection.settings_dict
            connection.close()
            connection.settings_dict = {**original, "NAME": str(copy)}
            try:
                yield DEFAULT_DB_ALIAS
            finally:
                connection.close()
                connection.settings_dict = original
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield DEFAULT_DB_ALIAS


class ExactEncoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes and times to milliseconds; a backup keeps every microsecond.

    Cut, 12:00:00.000456 was written as "12:00:00.000", restored as 12:00:00 and dumped again as
    "12:00:00": the restore's checksum then failed, about once in a thousand timestamps.
    """

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and o.utcoffset() is None:
            return o.isoformat()
        return super().default(o)


class ExactSerializer(jsonl.Serializer):
    """JSON lines (read back by Django's own jsonl deserializer) with exact timestamps."""

    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = ExactEncoder


def dump(path: Path, *, database: str = DEFAULT_DB_ALIAS) -> None:
    """Write every backed-up table of `database` to `path` as JSON lines, ordered by key."""
    if FORMAT not in serializers.get_serializer_formats():
        serializers.register_serializer(FORMAT, "xixin_dibao.backup_format")
    call_command(
        "dumpdata",
        exclude=EXCLUDE,
        natural_foreign=True,
        format=FORMAT,
        output=str(path),
        database=database,
        verbosity=0,
    )


def digests(path: Path) -> dict[str, dict]:
    """Per model: rows, and a SHA-256 over its rows' SHA-256 (keys sorted) in primary-key order."""
    rows: dict[str, list[tuple]] = defaultdict(list)
    with path.open("rb") as fh:
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            canonical = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()
            # Keep a row's hash, not the row: a county's million rows stay small in memory.
            rows[obj["model"]].append((str(obj.get("pk")), hashlib.sha256(canonical).digest()))
    result = {}
    for model, items in sorted(rows.items()):
        digest = hashlib.sha256()
        for _, row_hash in sorted(items, key=lambda item: _pk_key(item[0])):
            digest.update(row_hash)
        result[model] = {"rows": len(items), "sha256": digest.hexdigest()}
    return result


def _pk_key(pk: str):
    return (0, int(pk), "") if pk.isdigit() else (1, 0, pk)


def differences(expected: dict, actual: dict) -> list[str]:
    """Chinese lines naming each table whose rows or checksum differ."""
    lines = []
    for model in sorted(set(expected) | set(actual)):
        want, got = expected.get(model), actual.get(model)
        if want is None or got is None or want["rows"] != got["rows"]:
            lines.append(
                f"{model}：备份 {want and want['rows']} 行，恢复后 {got and got['rows']} 行"
            )
        elif want["sha256"] != got["sha256"]:
            lines.append(f"{model}：行数相同但内容校验和不符")
    return lines
