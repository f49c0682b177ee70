"""Generate a large synthetic registry fast: COPY on PostgreSQL, executemany elsewhere."""

import io
import json
import math
import random
import time
from functools import partial
from itertools import islice

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from households import synthetic
from households.models import Household, Township, Village, VillageGroup
from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent

CHUNK = 5000  # households generated, flattened and written at a time
HOUSEHOLDS_PER_TOWNSHIP = 6000
# Share of scale households with each feature (see households/synthetic.py).
FEATURES = (
    "dibao:.12 dibao_exit:.02 dibao_exit_2022:.015 dibao_exit_old:.01 marginal:.04 single_person:.01 "
    "extreme_poverty:.012 refused:.04 refused_old:.01 pending:.01 monitoring:.05 "
    "monitoring_cleared:.025 tuopin:.22 covid:.03 petition:.02 recorded_hardship:.03 "
    "outreach_missed:.02 expenditure:.03 disaster:.015 elderly_alone:.03 single_earner:.05 "
    "excluded_member:.005 non_cq_spouse:.03 car:.05 two_houses:.03 business:.015 "
    "rich_deposit:.02 stable_no_proof:.01 high_fee_schooling:.005"
)
SHARES = tuple((name, float(share)) for name, share in (f.split(":") for f in FEATURES.split()))
# At most one assistance status per household, the first drawn in this order.
STATUSES = (
    "extreme_poverty single_person dibao marginal dibao_exit dibao_exit_2022 dibao_exit_old".split()
)
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
        name = f"{base}（{lap + 1}）" if lap else base
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


class RowWriter:
    """INSERT with executemany in the command's one transaction; we assign the pks.

    The SQLite path: 20,000 households took 26 s this way against 65 s with bulk_create, whose
    SQL compiler cost far more than SQLite's own work (2-core machine, November 2026).
    """

    label = "executemany"
    prepared_types = {"DateField", "DateTimeField", "DecimalField", "JSONField", "TimeField"}

    def __init__(self):
        self.models = _models()
        self.next_pk = {
            m._meta.model_name: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
            for m in self.models
        }
        self.columns = {model: self._columns(model) for model in self.models}

    def _columns(self, model) -> list[tuple]:
        """(attname, column, prepare, default) per concrete field."""
        columns = []
        for field in model._meta.concrete_fields:
            if field.get_internal_type() in self.prepared_types:
                prepare = partial(field.get_db_prep_save, connection=connection)
            else:
                prepare = None
            default = field.get_default()
            columns.append(
                (field.attname, field.column, prepare, prepare(default) if prepare else default)
            )
        return columns

    def write(self, rows: dict[str, list[dict]]) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.models:
                columns = self.columns[model]
                names = ", ".join(quote(c[1]) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
                values = [
                    tuple((p(row[a]) if p else row[a]) if a in row else d for a, _, p, d in columns)
                    for row in rows[model._meta.model_name]
                ]
                if values:
                    cursor.executemany(sql, values)

    def finish(self) -> None:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), self.models):
                cursor.execute(sql)


class CopyWriter(RowWriter):
    """PostgreSQL COPY FROM STDIN from an in-memory text buffer per table."""

    label = "PostgreSQL COPY"

    def __init__(self):
        models_ = _models()
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
        with connection.cursor() as cursor:  # no other writer may take pks while we hold them
            cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        super().__init__()

    def _columns(self, model) -> list[tuple]:
        return [
            (f.attname, f.column, None, _pg_text(f.get_default()))
            for f in model._meta.concrete_fields
        ]

    def write(self, rows: dict[str, list[dict]]) -> None:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model in self.models:
                columns = self.columns[model]
                buffer = io.StringIO()
                for row in rows[model._meta.model_name]:
                    values = [_pg_text(row[a]) if a in row else d for a, _, _, d in columns]
                    buffer.write("\t".join(values) + "\n")
                buffer.seek(0)
                names = ", ".join(quote(c[1]) for c in columns)
                cursor.copy_expert(
                    f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN", buffer
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


def _reverse_relations(model):
    """Foreign keys in any app (hidden M2M tables included) that point at `model`."""
    return [
        f
        for f in model._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)
    ]


def _owned_fields():
    """The registry's own PROTECT links, cascaded when a whole synthetic township goes."""
    pairs = (
        (Village, "township"),
        (VillageGroup, "village"),
        (Household, "village"),
        (Household, "group"),
    )
    return {model._meta.get_field(name) for model, name in pairs}


def delete_tree(model, column: str, subquery: str, params, owned=frozenset(), depth=0) -> None:
    """Delete the `model` rows whose `column` is in `subquery`, and first what refers to them.

    One set-based statement per table, following every app's on_delete rules: Django's
    collector would load each member into Python (minutes at 200,000 households).
    """
    if depth > 8:
        raise CommandError("外键引用层级过深，无法删除模拟数据。")
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    # Identifiers come from model metadata through quote_name; values only ever as params.
    pk = quote(model._meta.pk.column)
    ids = f"SELECT {pk} FROM {table} WHERE {quote(column)} IN ({subquery})"  # noqa: S608
    with connection.cursor() as cursor:
        for relation in _reverse_relations(model):
            field, on_delete = relation.field, relation.on_delete
            child, fk = quote(relation.related_model._meta.db_table), quote(field.column)
            if on_delete is models.CASCADE or field in owned:
                delete_tree(relation.related_model, field.column, ids, params, owned, depth + 1)
            elif on_delete is models.SET_NULL:
                sql = f"UPDATE {child} SET {fk} = NULL WHERE {fk} IN ({ids})"  # noqa: S608
                cursor.execute(sql, params)
            elif on_delete in (models.PROTECT, models.RESTRICT):
                sql = f"SELECT 1 FROM {child} WHERE {fk} IN ({ids}) LIMIT 1"  # noqa: S608
                cursor.execute(sql, params)
                if cursor.fetchone():
                    label = relation.related_model._meta.verbose_name
                    raise CommandError(f"模拟数据仍被“{label}”引用，无法删除。")
            elif on_delete is not models.DO_NOTHING:
                label = f"{relation.related_model._meta.label}.{field.name}"
                raise CommandError(f"不支持的删除规则：{label}")
        sql = f"DELETE FROM {table} WHERE {quote(column)} IN ({subquery})"  # noqa: S608
        cursor.execute(sql, params)


def clear_synthetic() -> int:
    """Delete every synthetic township and everything under it; return the households removed."""
    townships = Township.objects.filter(code__startswith=SYNTHETIC_PREFIX)
    count = Household.objects.filter(village__township__in=townships).count()
    sql, params = townships.values("pk").query.sql_with_params()
    delete_tree(Township, Township._meta.pk.column, sql, params, owned=_owned_fields())
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
        with transaction.atomic():
            cleared = clear_synthetic() if clear else 0
            if Township.objects.filter(code__startswith=SYNTHETIC_PREFIX).exists():
                raise CommandError("数据库中已有模拟数据，请加 --clear 先删除。")
            totals, label = self._generate(households, seed, townships)
            summary = (
                f"生成模拟数据：{townships} 个乡镇、{totals['village']} 个村、"
                f"{totals['villagegroup']} 个村民组、{totals['household']} 户、{totals['member']} 人"
            )
            record_security(
                kind=AuditEvent.Kind.IMPORT, summary=summary, model="households.Household"
            )
        if connection.vendor == "postgresql":
            # Fresh statistics: without them the planner picks nested loops over 200k rows.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        seconds = time.monotonic() - started
        cleared_note = f"（先删除了 {cleared} 户旧模拟数据）" if cleared else ""
        self.stdout.write(
            f"已{summary}，收入 {totals['income']} 条、财产 {totals['asset']} 条、救助记录 "
            f"{totals['assistancerecord']} 条，用时 {seconds:.1f} 秒（{label}）{cleared_note}。"
        )

    def _generate(self, households: int, seed: int, townships: int) -> tuple[dict, str]:
        places = scale_places(seed=seed, townships=townships, households=households)
        village_ids, group_ids = create_places(places)
        writer = CopyWriter() if connection.vendor == "postgresql" else RowWriter()
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
