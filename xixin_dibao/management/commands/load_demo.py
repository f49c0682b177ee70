"""Load the reference data, the demo township and the demo accounts (never in production)."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from households.demo_caseload import load_demo_registry
from households.models import Household, Village
from xixin_dibao.models import ADMIN_ROLES, Role, User

DEMO_PASSWORD = "Xixin@2022"
# The people the seed names, plus one village officer (综合服务专干) per village.
DEMO_USERS = [
    ("wangjing", "王", "静", Role.OFFICE, None, True),
    ("tulei", "涂", "磊", Role.OFFICE, None, False),
    ("ranyu", "冉", "瑜", Role.LEADERSHIP, None, False),
    ("tanjun", "谭", "俊", Role.LEADERSHIP, None, False),
    ("baohe", "保合村", "专干", Role.VILLAGE_OFFICER, "500240214201", False),
    ("wanshou", "万寿村", "专干", Role.VILLAGE_OFFICER, "500240214202", False),
    ("fengtian", "丰田村", "专干", Role.VILLAGE_OFFICER, "500240214203", False),
    ("wuping", "五坪村", "专干", Role.VILLAGE_OFFICER, "500240214204", False),
    ("baiguo", "白果村", "专干", Role.VILLAGE_OFFICER, "500240214205", False),
    # 三员分立: none of the three reads household data.
    ("sysadmin", "系统", "管理员", Role.ADMIN, None, False),
    ("secadmin", "安全", "管理员", Role.SECURITY_ADMIN, None, False),
    ("auditadmin", "审计", "管理员", Role.AUDIT_ADMIN, None, False),
]


class Command(BaseCommand):
    help = "载入参考数据、演示乡镇数据和演示账户（仅用于演示和培训，生产环境不要运行）。"

    def handle(self, *args, **options):
        if settings.SECURE_PRODUCTION:
            raise CommandError("生产环境不能载入演示账户。请用 createsuperuser 交互创建管理员。")
        fixtures = Path(settings.BASE_DIR) / "fixtures"
        call_command("loaddata", str(fixtures / "reference.json"), verbosity=0)
        fresh = (fixtures / "demo.json").exists() and not Household.objects.exists()
        if fresh:
            # The caseload (救助记录, 申请记录) goes in through the household import, as a
            # township's own file does.
            load_demo_registry()
        reveal = Permission.objects.get(codename="reveal_id_number")
        for username, last, first, role, village_code, can_reveal in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"last_name": last, "first_name": first, "role": role},
            )
            if created:
                user.village = Village.objects.filter(code=village_code).first()
                user.is_staff = role in ADMIN_ROLES
                user.set_password(DEMO_PASSWORD)
                user.save()
            if can_reveal:
                user.user_permissions.add(reveal)
        if fresh:
            from xixin_dibao.demo_progress import simulate

            self.stdout.write(simulate(actor=User.objects.get(username="wangjing")))
        self.stdout.write(f"演示数据已就绪：{Household.objects.count()} 户。")
