"""Write a sample county data-match export (fixtures/data_match_sample.xlsx by default)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from households import idnumber
from households.models import Campaign, Member
from verification.datamatch_format import build_workbook
from verification.models import Case
from verification.states import DATA_ENTRY_STATES

MATCHED_ON = date(2022, 11, 8)


def synthetic_rows() -> list[dict]:
    """Six members of three made-up households, showing every kind of finding."""
    people = [
        ("张明华", date(1968, 3, 12), 11, {"vehicles": 1, "deposits": Decimal("32000.00")}),
        ("李秀英", date(1970, 7, 2), 22, {"pension_monthly": Decimal("1250.00")}),
        ("王建国", date(1955, 1, 30), 33, {"houses": 2, "note": "城区商品房一套"}),
        ("谭春兰", date(1982, 9, 9), 44, {"business": "石柱县某某农家乐（个体工商户）"}),
        ("冉小军", date(1990, 5, 18), 55, {"housing_fund": "有"}),
        ("马桂芬", date(1948, 12, 1), 66, {}),
    ]
    rows = []
    for name, born, seq, findings in people:
        row = {
            "id_number": idnumber.make("500240", born, seq),
            "name": name,
            "matched_on": MATCHED_ON,
            "vehicles": 0,
            "deposits": Decimal("0"),
            "business": "无",
            "pension_monthly": Decimal("0"),
            "houses": 0,
            "housing_fund": "无",
            "note": "",
        }
        row.update(findings)
        rows.append(row)
    return rows


def registry_rows(limit: int) -> list[dict]:
    """Clean results for co-resident members of open cases in the current campaign (demos)."""
    campaign = Campaign.objects.current()
    cases = Case.objects.filter(campaign=campaign, state__in=DATA_ENTRY_STATES).values(
        "household_id"
    )
    members = Member.objects.filter(
        household_id__in=cases[:limit], exclusion="", id_number__isnull=False
    ).order_by("household_id", "pk")
    return [
        {
            "id_number": m.id_number,
            "name": m.name,
            "matched_on": MATCHED_ON,
            "vehicles": 0,
            "deposits": Decimal("0"),
            "business": "无",
            "pension_monthly": Decimal("0"),
            "houses": 0,
            "housing_fund": "无",
            "note": "",
        }
        for m in members
    ]


class Command(BaseCommand):
    help = "生成信息比对结果导入样例（默认写入 fixtures/data_match_sample.xlsx）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=str(Path(settings.BASE_DIR) / "fixtures" / "data_match_sample.xlsx")
        )
        parser.add_argument(
            "--from-db",
            type=int,
            metavar="N",
            help="改为按当前台账中 N 户待核查家庭的成员生成（用于演示导入）",
        )

    def handle(self, *args, **options):
        rows = registry_rows(options["from_db"]) if options["from_db"] else synthetic_rows()
        path = Path(options["output"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build_workbook(rows))
        self.stdout.write(f"已写入 {path}（{len(rows)} 行）")
