"""Restore a backup made by `manage.py backup` into an empty, migrated database."""

import hashlib
import json
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from households.models import Household

from .backup import table_counts


class Command(BaseCommand):
    help = "从 backup 生成的文件恢复数据库和上传文件（目标库须为空库，会先执行 migrate）。"

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true", help="目标库已有数据时也继续")

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(f"备份文件不存在：{archive}")
        call_command("migrate", verbosity=0, interactive=False)
        if Household.objects.exists() and not options["force"]:
            raise CommandError("目标数据库已有数据。请恢复到新建的空库，或加 --force。")
        media = Path(settings.MEDIA_ROOT)
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
            root = Path(tmp)
            manifest = json.loads((root / "manifest.json").read_text())
            data = root / "data.json"
            if hashlib.sha256(data.read_bytes()).hexdigest() != manifest["data_sha256"]:
                raise CommandError("备份文件已损坏：数据校验和不符。")
            call_command("loaddata", str(data), verbosity=0)
            for rel, digest in manifest["files"].items():
                source = root / "media" / rel
                if hashlib.sha256(source.read_bytes()).hexdigest() != digest:
                    raise CommandError(f"备份文件已损坏：{rel} 校验和不符。")
                target = media / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(source.read_bytes())
        counts = table_counts()
        wrong = {k: (v, counts.get(k)) for k, v in manifest["counts"].items() if counts.get(k) != v}
        if wrong:
            raise CommandError(f"恢复后行数不一致：{wrong}")
        self.stdout.write(f"恢复完成：{sum(counts.values())} 行，{len(manifest['files'])} 个文件。")
