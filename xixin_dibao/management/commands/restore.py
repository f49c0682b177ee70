"""Restore a backup made by `manage.py backup` into an empty database, and verify it."""

import hashlib
import json
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from households.models import Household
from xixin_dibao import backup_crypto, backups


class Command(BaseCommand):
    help = (
        "从 backup 生成的文件恢复数据库和上传文件（目标库须为空库，会先执行 migrate），"
        "并逐表核对行数和校验和、逐文件核对 SHA-256。"
    )

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
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            try:
                self._extract(archive, root)
            except (ValueError, tarfile.TarError, OSError) as exc:
                raise CommandError(f"备份文件无法读取：{exc}") from exc
            manifest = json.loads((root / "manifest.json").read_text())
            data = root / "data.jsonl"
            if backups.digests(data) != manifest["tables"]:
                raise CommandError("备份文件已损坏：数据与清单不符。")
            call_command("loaddata", str(data), verbosity=0)
            restored = root / "restored.jsonl"
            backups.dump(restored)
            wrong = backups.differences(manifest["tables"], backups.digests(restored))
            if wrong:
                raise CommandError("恢复后与备份快照不一致：\n" + "\n".join(wrong))
            self._restore_files(root, manifest["files"])
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            f"恢复完成：{len(manifest['tables'])} 张表 {rows} 行，行数与校验和逐表一致；"
            f"{len(manifest['files'])} 个文件。"
        )

    def _extract(self, archive: Path, root: Path) -> None:
        with archive.open("rb") as raw:
            if backup_crypto.is_encrypted(archive):
                try:
                    key = backup_crypto.load_key(settings.BACKUP_KEY)
                except backup_crypto.BackupKeyError as exc:
                    raise CommandError(f"{exc}恢复加密备份需要备份时所用的密钥。") from exc
                source = backup_crypto.DecryptingReader(raw, key)
            else:
                source = raw
            with tarfile.open(fileobj=source, mode="r|gz") as tar:
                tar.extractall(root, filter="data")

    def _restore_files(self, root: Path, files: dict) -> None:
        media = Path(settings.MEDIA_ROOT)
        for rel, digest in files.items():
            source = root / "media" / rel
            if hashlib.sha256(source.read_bytes()).hexdigest() != digest:
                raise CommandError(f"备份文件已损坏：{rel} 校验和不符。")
            target = media / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
