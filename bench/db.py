"""A throwaway database for each benchmark phase, so the user's data is never touched.

PostgreSQL: `<name>_bench` on the same server (dropped and created again for every phase).
SQLite: a file in a fresh temporary folder. Files the app writes (dossier PDFs, job results)
go to a temporary MEDIA_ROOT. Subprocesses (gunicorn, Celery workers, memory probes) get the
same database and folder through `BenchDatabase.env`.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from households import synthetic

# The data's "today": ages, histories and screening as of the demo's pinned date.
AS_OF = synthetic.AS_OF
REFERENCE_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"


@dataclass
class BenchDatabase:
    vendor: str
    name: str
    folder: Path  # temporary: MEDIA_ROOT, generated files, the SQLite file
    env: dict

    @property
    def media_root(self) -> Path:
        return self.folder / "media"

    @property
    def env_without_redis(self) -> dict:
        """For subprocesses that must not send tasks anywhere (Celery runs in-process)."""
        return {k: v for k, v in self.env.items() if k != "REDIS_URL"}


# The user's database, as configured before any bench phase switched the connection.
USER_DATABASE = str(settings.DATABASES["default"]["NAME"])


def _bench_name(suffix: str) -> str:
    return f"{USER_DATABASE}_bench{suffix}"


def _database_url(name: str) -> str:
    """DATABASE_URL of the user's server with the bench database's name."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


PG_SETTING = re.compile(r"^([a-z_]+)=([A-Za-z0-9_.]+)$")
PG_SETTINGS: list[str] = []  # "name=value" applied to every bench database (`bench --pg-set`)


def _recreate_postgres(name: str) -> None:
    quoted = connection.ops.quote_name(name)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")
        for setting in PG_SETTINGS:  # checked by the pattern: a name and a plain value
            key, value = PG_SETTING.match(setting).groups()
            cursor.execute(f"ALTER DATABASE {quoted} SET {key} = '{value}'")


def _drop_postgres(name: str) -> None:
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def _switch(name: str) -> None:
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name
    ContentType.objects.clear_cache()


@contextmanager
def bench_database(*, keep: bool = False, suffix: str = ""):
    """Create, migrate and switch to a fresh bench database; switch back and drop it after.

    Phases may nest (two registries side by side): each gives its database a different
    `suffix` and switches back to whatever was in use when it began.
    """
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"不支持的数据库：{vendor}")
    original = connection.settings_dict["NAME"]
    saved_media = (settings.MEDIA_ROOT, settings.PRIVATE_STORAGE_ROOT, settings.APP_TODAY)
    folder = Path(tempfile.mkdtemp(prefix="xixin-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    if vendor == "postgresql":
        name = _bench_name(suffix)
        if name == USER_DATABASE:
            raise RuntimeError("基准测试库不能与工作库同名。")
        _recreate_postgres(name)
        env["DATABASE_URL"] = _database_url(name)
    else:
        name = str(folder / "bench.sqlite3")
        env["SQLITE_PATH"] = name
    db = BenchDatabase(vendor=vendor, name=name, folder=folder, env=env)
    env.update(
        MEDIA_ROOT=str(db.media_root),
        APP_TODAY=AS_OF.isoformat(),
        DJANGO_SETTINGS_MODULE="xixin_dibao.settings",
        PYTHONPATH=str(settings.BASE_DIR),
    )
    db.media_root.mkdir()
    settings.MEDIA_ROOT = settings.PRIVATE_STORAGE_ROOT = db.media_root
    settings.APP_TODAY = AS_OF
    _switch(name)
    try:
        call_command("migrate", verbosity=0, interactive=False, stdout=io.StringIO())
        call_command("loaddata", str(REFERENCE_FIXTURE), verbosity=0)
        yield db
    finally:
        _switch(original)
        settings.MEDIA_ROOT, settings.PRIVATE_STORAGE_ROOT, settings.APP_TODAY = saved_media
        if not keep:
            if vendor == "postgresql":
                _drop_postgres(name)
            shutil.rmtree(folder, ignore_errors=True)
