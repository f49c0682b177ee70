"""python manage.py import_households FILE.xlsx [--user USERNAME]: the web import, from the shell."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from households.importing import import_households_file


class Command(BaseCommand):
    help = (
        "从 Excel 文件导入家庭信息：与网页导入相同的检查，有任何错误则一条也不写入。"
        "指定 --user 时按该用户的权限（如村专干只能导入本村）；不指定时以“系统”身份导入全部村。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="填写好的 .xlsx 文件")
        parser.add_argument("--user", help="以此用户名的身份和权限导入（记入审计）")
        parser.add_argument(
            "--max-bytes",
            type=int,
            default=None,
            help="文件大小上限（字节），默认 UPLOAD_MAX_BYTES",
        )

    def handle(self, *args, file, user=None, max_bytes=None, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        verbosity = options.get("verbosity", 1)

        def progress(message, n):
            if verbosity > 1:
                self.stdout.write(message if n is None else f"{message}：{n} 行")

        with path.open("rb") as fh:
            result = import_households_file(
                actor=actor, fileobj=fh, filename=path.name, progress=progress, max_bytes=max_bytes
            )
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"导入成功：{result.summary}"))
            return
        for error in result.errors:
            self.stderr.write(str(error))
        raise CommandError(f"导入失败：共 {len(result.errors)} 处错误，未写入任何数据。")
