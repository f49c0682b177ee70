"""Run the deadline job by hand or from cron: the same service the Celery beat task calls."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from verification.services.deadlines import enforce_deadlines


class Command(BaseCommand):
    help = "执行截止日检查：截止前提醒、摸排截止后的未摸排名单与通报草稿、核查截止后的逾期标记。"

    def add_arguments(self, parser):
        parser.add_argument("--today", help="按指定日期执行（YYYY-MM-DD），默认为系统日期")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{options['today']}") from exc
        for report in enforce_deadlines(today=today):
            self.stdout.write(
                f"{report.campaign}（{report.today}）：新建案件 {report.cases_opened} 户，"
                f"提醒 {len(report.reminders)} 条，标记逾期 {report.overdue_marked} 户，"
                f"未摸排 {report.unscreened} 户"
                + ("，已生成通报草稿" if report.bulletin_created else "")
            )
            for title in report.reminders:
                self.stdout.write(f"  提醒：{title}")
