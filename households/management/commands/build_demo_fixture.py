"""Write fixtures/demo.json (the demo township's synthetic households, fixed seed, explicit pks)
and fixtures/demo_caseload.xlsx (their assistance records and applications, imported by load_demo
through the household import)."""

import io
import json
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from households import synthetic
from households.demo_caseload import (
    CASELOAD_FILE,
    CASELOAD_TABLES,
    caseload_rows,
    caseload_workbook,
    read_caseload,
)

DEMO_SEED = 20221025  # the date of 洗府发〔2022〕156号
# One "|"-separated entry per household: its features (see households/synthetic.py), and for
# a 脱贫户 the 2021 and 2022-estimate net incomes per head after ":". ORDINARY more have none.
DEMO_PLAN = """
dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao|dibao
dibao disabled|dibao ill|dibao elderly_alone|dibao covid|dibao tuopin|dibao monitoring
dibao_exit|dibao_exit|dibao_exit_2022|dibao_exit_2022 refused|dibao_exit_old
marginal|marginal|marginal tuopin
single_person|single_person|single_person no_marginal|single_person ill_basis
extreme_poverty|extreme_poverty|extreme_poverty|refused|refused|refused car|refused_old|pending
monitoring|monitoring|monitoring_cleared
tuopin:8650,10800|tuopin:10300,9420|tuopin:9100,9600|tuopin:10000,10000|tuopin:12500,13400
tuopin:9980,10020|covid|covid|petition|petition refused|recorded_hardship|recorded_hardship
outreach_missed|outreach_missed|expenditure|expenditure|disaster|elderly_alone|elderly_alone
elderly_alone|single_earner|single_earner|single_earner|excluded_member|excluded_member
non_cq_spouse|non_cq_spouse|car|two_houses|business|rich_deposit|stable_no_proof
high_fee_schooling|disabled|disabled|ill|ill
"""
ORDINARY = 16
RARE_NAMES = "堃喆玥犇淼䶮"  # six ordinary households get one each
NEAR_LINE = (6900, 7050, 10400, 10520)  # four more sit just either side of the two lines


def demo_plans() -> list[dict]:
    plans = [{"exact": kind} for kind in synthetic.EXACT_KINDS]
    for entry in (e for line in DEMO_PLAN.strip().splitlines() for e in line.split("|")):
        features, _, tuopin = entry.partition(":")
        plan = {"features": set(features.split())}
        if tuopin:
            plan["tuopin"] = tuple(tuopin.split(","))
        plans.append(plan)
    ordinary = [{"features": set()} for _ in range(ORDINARY)]
    for plan, char in zip(ordinary, RARE_NAMES, strict=False):
        plan["rare_char"] = char
    for plan, pci in zip(ordinary[len(RARE_NAMES) :], NEAR_LINE, strict=False):
        plan["pci"] = pci
    return plans + ordinary


def demo_villages(reference: list[dict]) -> list[dict]:
    """Villages of fixtures/reference.json with their township's name and their groups."""
    by_model = {}
    for obj in reference:
        by_model.setdefault(obj["model"], []).append(obj)
    townships = {o["pk"]: o["fields"]["name"] for o in by_model["households.township"]}
    villages = [
        {"id": o["pk"], "code": o["fields"]["code"], "name": o["fields"]["name"], "groups": []}
        | {"township": townships[o["fields"]["township"]]}
        for o in sorted(by_model["households.village"], key=lambda o: o["fields"]["code"])
    ]
    by_id = {v["id"]: v for v in villages}
    for o in sorted(by_model["households.villagegroup"], key=lambda o: o["fields"]["number"]):
        by_id[o["fields"]["village"]]["groups"].append((o["pk"], o["fields"]["name"]))
    return villages


def build_demo(villages: list[dict], *, seed: int = DEMO_SEED) -> list[dict]:
    """The demo households, shuffled and dealt evenly over villages and their groups."""
    builder = synthetic.HouseholdBuilder(
        seed, id_sequences=synthetic.DEMO_ID_SEQUENCES, rare_rate=0
    )
    plans = demo_plans()
    builder.rng.shuffle(plans)
    households, serials = [], {}
    for i, plan in enumerate(plans):
        village = villages[i % len(villages)]
        group_id, group_name = village["groups"][(i // len(villages)) % len(village["groups"])]
        if "exact" in plan:
            hh = builder.exact_household(plan["exact"])
        else:
            hh = builder.household(**plan)
        serials[village["code"]] = serial = serials.get(village["code"], 0) + 1
        number = builder.rng.randint(1, 90)
        address = f"{village['township']}{village['name']}{group_name}{number}号"
        code = f"{village['code']}-{serial:04d}"
        place = dict(village_id=village["id"], group_id=group_id, code=code, address=address)
        households.append(synthetic.place(hh, **place, index=i))
    return households


def fixture_objects(rows: dict[str, list[dict]]) -> list[dict]:
    """loaddata objects in foreign-key order: {"model", "pk", "fields"} with field names."""
    objects = []
    for table in (t for t in synthetic.TABLES if t not in CASELOAD_TABLES):
        model = apps.get_model("households", table)
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        for row in rows[table]:
            values = {f.name: row[f.attname] for f in fields if f.attname in row}
            objects.append({"model": model._meta.label_lower, "pk": row["id"], "fields": values})
    return objects


def render() -> tuple[str, list[dict], dict]:
    fixtures = Path(settings.BASE_DIR) / "fixtures"
    reference = json.loads((fixtures / "reference.json").read_text(encoding="utf-8"))
    households = build_demo(demo_villages(reference))
    rows = synthetic.flatten(households, dict.fromkeys(synthetic.TABLES, 1))
    text = json.dumps(fixture_objects(rows), cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    return text + "\n", households, caseload_rows(rows)


class Command(BaseCommand):
    help = "生成演示乡镇的模拟家庭数据 fixtures/demo.json（固定随机种子，不含任何真实个人信息）。"

    def add_arguments(self, parser):
        parser.add_argument("--output", help="输出文件（默认 fixtures/demo.json）")
        parser.add_argument("--check", action="store_true", help="只检查现有文件是否为最新，不写入")

    def handle(self, *args, output=None, check=False, **options):
        path = Path(output or Path(settings.BASE_DIR) / "fixtures" / "demo.json")
        text, households, caseload = render()
        caseload_path = path.with_name(CASELOAD_FILE.name)
        if check:
            stale = not path.exists() or path.read_text(encoding="utf-8") != text
            fresh = read_caseload(io.BytesIO(caseload_workbook(caseload)))
            stale = stale or not caseload_path.exists() or read_caseload(caseload_path) != fresh
            if stale:
                raise CommandError(f"{path} 不是最新，请运行 python manage.py build_demo_fixture。")
            self.stdout.write(f"{path} 已是最新。")
            return
        path.write_text(text, encoding="utf-8")
        caseload_path.write_bytes(caseload_workbook(caseload))
        people = sum(len(hh["members"]) for hh in households)
        self.stdout.write(f"已写入 {path}：{len(households)} 户、{people} 人。")
