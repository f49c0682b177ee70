"""python manage.py import_roster FILE.xlsx [--user USERNAME]: 在册对象导入, from the shell."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from households.importing.roster import import_roster_file


class Command(BaseCommand):
    help = (
        "导入县救助系统导出的在册对象名单（格式见 households/ROSTER_IMPORT_FORMAT.md）："
        "按身份证号匹配家庭，未登记的家庭新建为待核查的在册对象；有任何错误则一条也不写入，可重复导入。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="在册对象名单 .xlsx")
        parser.add_argument("--user", help="以此用户名（民政办）的身份和权限导入（记入审计）")

    def handle(self, *args, file, user=None, **options):
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"用户“{user}”不存在。")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        with path.open("rb") as fh:
            result = import_roster_file(actor=actor, fileobj=fh, filename=path.name)
        if result.ok:
            self.stdout.write(self.style.SUCCESS(f"导入成功：{result}"))
            if result.households_created:
                self.stdout.write("新建家庭户编号：" + "、".join(result.households_created))
            return
        for error in result.errors:
            self.stderr.write(str(error))
        raise CommandError(f"导入失败：共 {len(result.errors)} 处错误，未写入任何数据。")
