"""Back up the whole database and the uploaded files into one .tar.gz (PostgreSQL or SQLite)."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

EXCLUDE = ["contenttypes", "auth.permission", "sessions", "admin.logentry", "axes"]


def table_counts() -> dict:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.app_label not in ("contenttypes", "sessions", "admin", "axes")
        and m._meta.label != "auth.Permission"
        and m._meta.managed
    }


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个 .tar.gz 文件（PostgreSQL 与 SQLite 通用）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--out", default="", help="输出文件，默认 var/backups/backup-时间.tar.gz"
        )

    def handle(self, *args, **options):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        out = Path(
            options["out"] or Path(settings.BASE_DIR) / "var" / "backups" / f"backup-{stamp}.tar.gz"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        data = io.StringIO()
        call_command("dumpdata", exclude=EXCLUDE, natural_foreign=True, stdout=data, indent=None)
        payload = data.getvalue().encode()
        media = Path(settings.MEDIA_ROOT)
        files = {}
        tmp = out.with_suffix(".part")
        with tarfile.open(tmp, "w:gz") as tar:
            _add_bytes(tar, "data.json", payload)
            if media.exists():
                for path in sorted(p for p in media.rglob("*") if p.is_file()):
                    rel = path.relative_to(media).as_posix()
                    if rel.startswith("jobs/"):
                        continue  # job results can be rebuilt
                    files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                    tar.add(path, arcname=f"media/{rel}")
            manifest = {
                "created": stamp,
                "counts": table_counts(),
                "files": files,
                "data_sha256": hashlib.sha256(payload).hexdigest(),
            }
            _add_bytes(tar, "manifest.json", json.dumps(manifest, ensure_ascii=False).encode())
        tmp.replace(out)
        self.stdout.write(f"备份完成：{out}（{len(files)} 个文件）")


def _add_bytes(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))
