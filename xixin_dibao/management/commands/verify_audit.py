"""Check the audit trail's hash chain and name the first broken link (issue 19.3)."""

from django.core.management.base import BaseCommand, CommandError

from xixin_dibao.audit_chain import HASHED_FIELDS, find_first_break
from xixin_dibao.models import AuditEvent


class Command(BaseCommand):
    help = "校验审计记录哈希链，报告第一处断裂（被修改、删除或插入的记录）。"

    def handle(self, *args, **options):
        rows = (
            AuditEvent.objects.order_by("id")
            .values("id", "prev_hash", "hash", *HASHED_FIELDS)
            .iterator(chunk_size=2000)
        )
        count = 0

        def counted():
            nonlocal count
            for row in rows:
                count += 1
                yield row

        broken = find_first_break(counted())
        if broken:
            pk, reason = broken
            raise CommandError(f"审计链在第 {pk} 号记录处断裂：{reason}。")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：共 {count} 条记录。"))
