"""`python manage.py screen [--village CODE] [--campaign ID] [--force]`: screen households.

Without options every township with an active campaign is screened under its own campaign
(a county holds one campaign per township); `--village` screens one village under its
township's campaign; `--campaign` one campaign's township.
"""

from django.core.management.base import BaseCommand, CommandError

from households.models import Campaign, Village
from screening import services


class Command(BaseCommand):
    help = "按各乡镇当前工作方案研判家庭（可只研判一个村或一个工作方案）。"

    def add_arguments(self, parser):
        parser.add_argument("--village", help="只研判这个村（村代码）")
        parser.add_argument("--campaign", type=int, help="工作方案编号（默认：各乡镇当前活动方案）")
        parser.add_argument("--force", action="store_true", help="数据未变的家庭也重新计算")

    def handle(self, *args, village=None, campaign=None, force=False, **options):
        place = None
        if village:
            place = Village.objects.filter(code=village).first()
            if place is None:
                raise CommandError(f"没有代码为 {village} 的村。")
        if campaign:
            campaigns = list(Campaign.objects.filter(pk=campaign))
        elif place is not None:
            campaigns = [Campaign.objects.current(township_id=place.township_id)]
        else:
            campaigns = list(Campaign.objects.current_campaigns().order_by("township__code"))
        campaigns = [c for c in campaigns if c is not None]
        if not campaigns:
            raise CommandError("没有找到工作方案：请先在后台设置当前活动的工作方案。")
        if place is None and not campaign:
            for run in services.screen_campaigns(campaigns, force=force):
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{run.campaign}：研判完成（{run.scope_label}）：{services.run_summary(run)}。"
                    )
                )
            return
        for chosen in campaigns:
            if place is not None and place.township_id != chosen.township_id:
                raise CommandError(f"{place.name}不属于工作方案“{chosen}”所在乡镇。")
            run = services.screen_households(
                campaign=chosen,
                village=place,
                force=force,
                progress=lambda done, total: self.stdout.write(f"已研判 {done} / {total} 户"),
            )
            self.stdout.write(
                self.style.SUCCESS(
                    f"{chosen}：研判完成（{run.scope_label}）：{services.run_summary(run)}。"
                )
            )
