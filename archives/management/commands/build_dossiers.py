"""Build dossier PDFs into a folder: `manage.py build_dossiers [--village CODE | --household CODE] --out DIR`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from archives.batch import batch_households, complete_folder, run_chunk
from archives.files import remove_temp_files


class Command(BaseCommand):
    help = "生成一户一档PDF到指定目录（可中断后重跑：已生成且校验一致的文件会跳过）。"

    def add_arguments(self, parser):
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--village", default="", help="村代码")
        scope.add_argument("--household", default="", help="户编号")
        parser.add_argument("--out", required=True, help="输出目录")

    def handle(self, *args, village, household, out, **options):
        households = batch_households(village_code=village, household_code=household)
        ids = list(households.values_list("pk", flat=True))
        if not ids:
            raise CommandError("没有符合条件的家庭，请检查村代码或户编号。")
        out_dir = Path(out).resolve()
        out_dir.mkdir(parents=True, exist_ok=True)
        removed = remove_temp_files(out_dir)
        if removed:
            self.stdout.write(f"已清理上次中断留下的临时文件 {removed} 个。")
        done = 0

        def progress():
            nonlocal done
            done += 1
            if done % 10 == 0 or done == len(ids):
                self.stdout.write(f"{done}/{len(ids)}")
            return True

        errors = run_chunk(ids, out_dir, actor=None, on_progress=progress)
        if errors:
            errors = complete_folder(households, out_dir, actor=None)
        for line in errors:
            self.stderr.write(line)
        self.stdout.write(
            self.style.SUCCESS(f"完成：{len(ids) - len(errors)} 户档案PDF已写入 {out_dir}")
        )
        if errors:
            raise CommandError(f"{len(errors)} 户未能生成。")
