"""Generate a large synthetic registry fast: COPY on PostgreSQL, bulk_create elsewhere."""

import io
import json
import math
import random
import time
from itertools import islice

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, ProtectedError

from households import synthetic
from households.models import Household, Member, Township, Village, VillageGroup
from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent

CHUNK = 5000  # households generated, flattened and written at a time
HOUSEHOLDS_PER_TOWNSHIP = 6000
# Share of scale households with each feature (see households/synthetic.py).
FEATURES = (
    "dibao:.12 dibao_exit:.03 dibao_exit_old:.01 marginal:.04 single_person:.01 "
    "extreme_poverty:.012 refused:.04 refused_old:.01 pending:.01 monitoring:.05 "
    "monitoring_cleared:.025 tuopin:.22 covid:.03 petition:.02 recorded_hardship:.03 "
    "outreach_missed:.02 expenditure:.03 disaster:.015 elderly_alone:.03 single_earner:.05 "
    "excluded_member:.005 non_cq_spouse:.03 car:.05 two_houses:.03 business:.015 "
    "rich_deposit:.02 stable_no_proof:.01 high_fee_schooling:.005"
)
SHARES = tuple((name, float(share)) for name, share in (f.split(":") for f in FEATURES.split()))
# At most one assistance status per household, the first drawn in this order.
STATUSES = ("extreme_poverty", "single_person", "dibao", "marginal", "dibao_exit", "dibao_exit_old")
VILLAGE_PARTS = (
    "大小新龙凤石金银红青黄白马鹿桥河岩坪山水竹茶枫松柏",
    "坪坝湾沟岭垭槽塘溪坡田林口园坎池",
)
TOWNSHIP_NAMES = (
    "南宾街道 万安街道 下路街道 西沱镇 悦来镇 临溪镇 黄水镇 马武镇 沙子镇 王场镇 沿溪镇 龙沙镇 "
    "鱼池镇 三河镇 大歇镇 桥头镇 万朝镇 冷水镇 黄鹤镇 枫木镇 六塘乡 三星乡 黎场乡 三益乡 "
    "王家乡 河嘴乡 石家乡 中益乡 新乐乡 金铃乡 金竹乡 龙潭乡 蚕溪乡"
).split()  # 石柱县's township-level names (洗新乡 itself is the real reference township)
SYNTHETIC_PREFIX = "5002409"  # township codes 500240900–999: no real 石柱 township uses them
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def scale_places(*, seed: int, townships: int, households: int) -> list[dict]:
    """Townships with ≈6 villages of 4–6 groups each; households dealt by village size."""
    rng = random.Random(seed * 7919 + 1)
    places = []
    for t in range(townships):
        base = TOWNSHIP_NAMES[t % len(TOWNSHIP_NAMES)]
        lap = t // len(TOWNSHIP_NAMES)
        name = f"{base[:-1]}{lap + 1}{base[-1]}" if lap else base
        code = f"{SYNTHETIC_PREFIX}{t:02d}"
        names = rng.sample(
            [a + b for a in VILLAGE_PARTS[0] for b in VILLAGE_PARTS[1]], rng.randint(4, 8)
        )
        villages = [
            {"code": f"{code}{201 + v:03d}", "name": f"{n}村", "groups": rng.randint(4, 6)}
            | {"weight": rng.uniform(0.6, 1.4)}
            for v, n in enumerate(names)
        ]
        places.append({"code": code, "name": name, "villages": villages})
    every = [v for t in places for v in t["villages"]]
    total = sum(v["weight"] for v in every)
    for v in every:
        v["households"] = int(households * v["weight"] / total)
    for v in every[: households - sum(v["households"] for v in every)]:
        v["households"] += 1
    return places


def sample_features(rng: random.Random) -> set:
    features = {name for name, share in SHARES if rng.random() < share}
    statuses = [s for s in STATUSES if s in features]
    return features - set(statuses[1:])


def scale_households(*, seed: int, places: list[dict], village_ids: dict, group_ids: dict):
    """Yield placed households in a fixed order for `seed` (same seed, same names and IDs)."""
    builder = synthetic.HouseholdBuilder(seed)
    rng, index = builder.rng, 0
    for township in places:
        for village in township["villages"]:
            village_id = village_ids[village["code"]]
            for serial in range(1, village["households"] + 1):
                hh = builder.household(features=sample_features(rng))
                number = rng.randint(1, village["groups"])
                address = f"{township['name']}{village['name']}{number}组{rng.randint(1, 150)}号"
                code = f"{village['code']}-{serial:04d}"
                group_id = group_ids[(village_id, number)]
                place = dict(village_id=village_id, group_id=group_id, code=code, address=address)
                yield synthetic.place(hh, **place, index=index)
                index += 1


def create_places(places: list[dict]) -> tuple[dict, dict]:
    """Write townships, villages and groups; return village ids by code and group ids."""
    Township.objects.bulk_create([Township(code=t["code"], name=t["name"]) for t in places])
    township_ids = dict(
        Township.objects.filter(code__startswith=SYNTHETIC_PREFIX).values_list("code", "id")
    )
    Village.objects.bulk_create(
        Village(township_id=township_ids[t["code"]], code=v["code"], name=v["name"])
        for t in places
        for v in t["villages"]
    )
    village_ids = dict(
        Village.objects.filter(township_id__in=township_ids.values()).values_list("code", "id")
    )
    VillageGroup.objects.bulk_create(
        VillageGroup(village_id=village_ids[v["code"]], number=n, name=f"{n}组")
        for t in places
        for v in t["villages"]
        for n in range(1, v["groups"] + 1)
    )
    groups = VillageGroup.objects.filter(village_id__in=village_ids.values())
    group_ids = {(g.village_id, g.number): g.id for g in groups.only("id", "village_id", "number")}
    return village_ids, group_ids


def _models():
    return [apps.get_model("households", table) for table in synthetic.TABLES]


class BulkWriter:
    """bulk_create in large batches (SQLite and other databases), pks assigned by us."""

    label = "bulk_create"

    def __init__(self):
        self.models = _models()
        self.next_pk = {
            m._meta.model_name: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
            for m in self.models
        }

    def write(self, rows: dict[str, list[dict]]) -> None:
        for model in self.models:
            objs = [model(**row) for row in rows[model._meta.model_name]]
            model.objects.bulk_create(objs, batch_size=2000)

    def finish(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)


class CopyWriter(BulkWriter):
    """PostgreSQL COPY FROM STDIN from an in-memory text buffer per table."""

    label = "PostgreSQL COPY"

    def __init__(self):
        self.models = _models()
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in self.models)
        with connection.cursor() as cursor:  # no other writer may take pks while we hold them
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        super().__init__()
        self.columns = {}
        for model in self.models:
            fields = model._meta.concrete_fields
            defaults = [_pg_text(f.get_default()) for f in fields]
            self.columns[model] = (
                [f.attname for f in fields],
                [f.column for f in fields],
                defaults,
            )

    def write(self, rows: dict[str, list[dict]]) -> None:
        with connection.cursor() as cursor:
            for model in self.models:
                attnames, columns, defaults = self.columns[model]
                buffer = io.StringIO()
                for row in rows[model._meta.model_name]:
                    values = [
                        _pg_text(row[a]) if a in row else d
                        for a, d in zip(attnames, defaults, strict=True)
                    ]
                    buffer.write("\t".join(values) + "\n")
                buffer.seek(0)
                names = ", ".join(connection.ops.quote_name(c) for c in columns)
                cursor.copy_expert(
                    f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN",
                    buffer,
                )


def _pg_text(value) -> str:
    """One value in COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(ESCAPES)


def clear_synthetic() -> int:
    """Delete every synthetic township and everything under it; return the households removed."""
    households = Household.objects.filter(village__township__code__startswith=SYNTHETIC_PREFIX)
    count = households.count()
    for table in synthetic.TABLES[2:]:  # the leaves first, as single DELETE statements
        model = apps.get_model("households", table)
        path = "member__household__in" if table == "assistancerecord" else "household__in"
        model.objects.filter(**{path: households}).delete()
    Member.objects.filter(household__in=households).delete()
    households.delete()
    VillageGroup.objects.filter(village__township__code__startswith=SYNTHETIC_PREFIX).delete()
    Village.objects.filter(township__code__startswith=SYNTHETIC_PREFIX).delete()
    Township.objects.filter(code__startswith=SYNTHETIC_PREFIX).delete()
    return count


class Command(BaseCommand):
    help = "生成大规模模拟数据（乡镇、村、组、家庭、成员、收入、财产、救助记录），用于性能测试；不含真实个人信息。"

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, required=True, help="生成的户数")
        parser.add_argument(
            "--seed", type=int, default=1, help="随机种子（相同种子生成相同姓名和身份证号）"
        )
        parser.add_argument(
            "--townships", type=int, help="乡镇数（默认每 6000 户一个，最多 33 个）"
        )
        parser.add_argument("--clear", action="store_true", help="先删除以前生成的模拟数据")

    def handle(self, *args, households, seed, townships=None, clear=False, **options):
        if households < 1:
            raise CommandError("--households 须为正整数。")
        townships = townships or min(33, max(1, math.ceil(households / HOUSEHOLDS_PER_TOWNSHIP)))
        if not 1 <= townships <= 100:
            raise CommandError("--townships 须在 1 到 100 之间。")
        started = time.monotonic()
        try:
            with transaction.atomic():
                cleared = clear_synthetic() if clear else 0
                if Township.objects.filter(code__startswith=SYNTHETIC_PREFIX).exists():
                    raise CommandError("数据库中已有模拟数据，请加 --clear 先删除。")
                totals, label = self._generate(households, seed, townships)
                summary = (
                    f"生成模拟数据：{townships} 个乡镇、{totals['village']} 个村、{totals['villagegroup']} 个村民组、"
                    f"{totals['household']} 户、{totals['member']} 人"
                )
                record_security(
                    kind=AuditEvent.Kind.IMPORT, summary=summary, model="households.Household"
                )
        except ProtectedError as exc:
            raise CommandError(
                f"模拟数据仍被其他记录引用，无法删除：{exc.protected_objects}"
            ) from exc
        seconds = time.monotonic() - started
        cleared_note = f"（先删除了 {cleared} 户旧模拟数据）" if cleared else ""
        self.stdout.write(
            f"已{summary}，收入 {totals['income']} 条、财产 {totals['asset']} 条、救助记录 "
            f"{totals['assistancerecord']} 条，用时 {seconds:.1f} 秒（{label}）{cleared_note}。"
        )

    def _generate(self, households: int, seed: int, townships: int) -> tuple[dict, str]:
        places = scale_places(seed=seed, townships=townships, households=households)
        village_ids, group_ids = create_places(places)
        writer = CopyWriter() if connection.vendor == "postgresql" else BulkWriter()
        stream = scale_households(
            seed=seed, places=places, village_ids=village_ids, group_ids=group_ids
        )
        totals = dict.fromkeys(synthetic.TABLES, 0)
        while chunk := list(islice(stream, CHUNK)):
            rows = synthetic.flatten(chunk, writer.next_pk)
            writer.write(rows)
            for table, table_rows in rows.items():
                totals[table] += len(table_rows)
        writer.finish()
        totals.update(village=len(village_ids), villagegroup=len(group_ids))
        return totals, writer.label
