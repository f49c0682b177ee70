"""Fail background jobs whose worker died and delete orphaned uploads (run by `make run`)."""

from django.core.management.base import BaseCommand

from xixin_dibao.jobs import recover_jobs


class Command(BaseCommand):
    help = "把执行进程已退出的“进行中”后台任务标为失败（可重新发起），并删除无人处理的上传文件。"

    def handle(self, *args, **options):
        failed, removed = recover_jobs()
        self.stdout.write(
            f"已中断的任务：{len(failed)} 个；已删除的遗留上传文件：{len(removed)} 个。"
        )
