"""Back up the whole database and the uploaded files, encrypted, from one snapshot (issue 19.9)."""

import hashlib
import io
import json
import os
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from xixin_dibao import backup_crypto, backups


class Command(BaseCommand):
    help = (
        "从一个一致的快照备份数据库全部表和上传文件，用 BACKUP_KEY 加密（AES-256-GCM），"
        "文件权限 0600。PostgreSQL 与 SQLite 通用。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", default="", help="输出文件，默认 var/backups/backup-时间.xdb")
        parser.add_argument(
            "--unencrypted",
            action="store_true",
            help="不加密（仅限演示环境；SECURE_PRODUCTION=1 时拒绝）",
        )
        parser.add_argument("--new-key", action="store_true", help="生成一个新的 BACKUP_KEY 并退出")

    def handle(self, *args, **options):
        if options["new_key"]:
            self.stdout.write(backup_crypto.new_key())
            return
        key = self._key(options["unencrypted"])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        folder = Path(settings.BASE_DIR) / "var" / "backups"
        out = Path(options["out"] or folder / f"backup-{stamp}.xdb")
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:  # mode 0700: the plain rows never leave it
            data = Path(tmp) / "data.jsonl"
            with backups.snapshot() as alias:
                backups.dump(data, database=alias)
            manifest = {"created": stamp, "tables": backups.digests(data), "files": {}}
            partial = out.with_name(out.name + ".part")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            try:
                with os.fdopen(fd, "wb") as raw:
                    self._write(raw, key, data, manifest)
                partial.replace(out)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        rows = sum(t["rows"] for t in manifest["tables"].values())
        kind = "已加密" if key else "未加密"
        self.stdout.write(
            f"备份完成（{kind}）：{out}（{len(manifest['tables'])} 张表 {rows} 行，"
            f"{len(manifest['files'])} 个文件）"
        )

    def _key(self, unencrypted: bool) -> bytes | None:
        if unencrypted:
            if settings.SECURE_PRODUCTION:
                raise CommandError("生产环境（SECURE_PRODUCTION=1）不允许不加密的备份。")
            self.stderr.write("警告：备份未加密，含完整身份证号等个人信息，仅限演示环境使用。")
            return None
        try:
            return backup_crypto.load_key(settings.BACKUP_KEY)
        except backup_crypto.BackupKeyError as exc:
            raise CommandError(
                f"{exc}备份含身份证号等个人信息，必须加密。"
                "用 `python manage.py backup --new-key` 生成密钥，妥善另存，"
                "再设置环境变量 BACKUP_KEY；演示环境可加 --unencrypted。"
            ) from exc

    def _write(self, raw, key: bytes | None, data: Path, manifest: dict) -> None:
        sink = backup_crypto.EncryptingWriter(raw, key) if key else raw
        with tarfile.open(fileobj=sink, mode="w|gz") as tar:
            tar.add(data, arcname="data.jsonl")
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                for path in sorted(p for p in media.rglob("*") if p.is_file()):
                    rel = path.relative_to(media).as_posix()
                    if rel.startswith(("jobs/", "imports/")) or rel.endswith(".part"):
                        continue  # job results can be rebuilt; pending uploads are transient
                    manifest["files"][rel] = hashlib.sha256(path.read_bytes()).hexdigest()
                    tar.add(path, arcname=f"media/{rel}")
            payload = json.dumps(manifest, ensure_ascii=False).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        if key:
            sink.close()
