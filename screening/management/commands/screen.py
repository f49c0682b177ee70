"""`python manage.py screen [--village CODE] [--force]`: screen the active campaign's households."""

from django.core.management.base import BaseCommand, CommandError

from households.models import Campaign, Village
from screening import services


class Command(BaseCommand):
    help = "按当前工作方案研判全乡（或指定村）的家庭。"

    def add_arguments(self, parser):
        parser.add_argument("--village", help="只研判这个村（村代码）")
        parser.add_argument("--campaign", type=int, help="工作方案编号（默认：当前活动方案）")
        parser.add_argument("--force", action="store_true", help="数据未变的家庭也重新计算")

    def handle(self, *args, village=None, campaign=None, force=False, **options):
        chosen = (
            Campaign.objects.filter(pk=campaign).first() if campaign else Campaign.objects.current()
        )
        if chosen is None:
            raise CommandError("没有找到工作方案：请先在后台设置当前活动的工作方案。")
        place = None
        if village:
            place = Village.objects.filter(code=village).first()
            if place is None:
                raise CommandError(f"没有代码为 {village} 的村。")
            if place.township_id != chosen.township_id:
                raise CommandError(f"{place.name}不属于工作方案“{chosen}”所在乡镇。")
        run = services.screen_households(
            campaign=chosen,
            village=place,
            force=force,
            progress=lambda done, total: self.stdout.write(f"已研判 {done} / {total} 户"),
        )
        self.stdout.write(
            self.style.SUCCESS(f"研判完成（{run.scope_label}）：{services.run_summary(run)}。")
        )
