from django.conf import settings
from django.core.management.base import BaseCommand

from xixin_dibao.management.commands.load_demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "打印演示账户的登录方式。"

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        self.stdout.write(f"\n洗新乡低保扩面扩围工作平台： http://127.0.0.1:{options['port']}/")
        self.stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}）：")
        for username, last, first, role, _code, _reveal in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {last}{first}（{role.label}）")
        if not settings.OTP_REQUIRED:
            self.stdout.write(
                "演示模式：动态口令（双因素认证）已关闭；生产环境须开启（OTP_REQUIRED=1）。"
            )
        self.stdout.write("")
