"""P-3: screening every household ÷ one SQL aggregate (income sums, member counts) of the same data."""

from __future__ import annotations

from django.db import connection

from households.models import (
    Application,
    Asset,
    AssistanceRecord,
    Expense,
    Household,
    Income,
    Member,
    PriorityGroupRecord,
    Village,
)
from screening import setbased
from screening.models import ScreeningResult

from . import data
from .measure import Row, median_time


def aggregate_sql() -> str:
    """Per household: SUM(income amount) and COUNT(members), one statement, GROUP BY."""
    q = connection.ops.quote_name
    h, i, m = (x._meta.db_table for x in (Household, Income, Member))
    return (
        f"SELECT h.{q('id')}, COALESCE(i.total, 0), COALESCE(m.n, 0) FROM {q(h)} h "  # noqa: S608
        f"LEFT JOIN (SELECT {q('household_id')} AS hid, SUM({q('amount')}) AS total "
        f"FROM {q(i)} GROUP BY {q('household_id')}) i ON i.hid = h.{q('id')} "
        f"LEFT JOIN (SELECT {q('household_id')} AS hid, COUNT(*) AS n "
        f"FROM {q(m)} GROUP BY {q('household_id')}) m ON m.hid = h.{q('id')}"
    )


def inputs_sql() -> str:
    """Every table the screening reads, each with its cheapest per-household aggregate, joined
    to the households and their current verdicts: what reading the inputs costs, no rules."""
    q = connection.ops.quote_name
    models = (Household, Village, Income, Member, Asset, AssistanceRecord, Expense, Application)
    t = {m.__name__: q(m._meta.db_table) for m in (*models, PriorityGroupRecord, ScreeningResult)}
    counts = {"ah": "Asset", "eh": "Expense", "gh": "PriorityGroupRecord", "ph": "Application"}
    per_household = "".join(
        f", {alias} AS (SELECT household_id, COUNT(*) AS k FROM {t[model]} GROUP BY 1)"  # noqa: S608
        for alias, model in counts.items()
    )
    joins = "".join(f" LEFT JOIN {a} ON {a}.household_id = h.id" for a in counts)
    return (
        f"WITH st AS (SELECT member_id, COUNT(*) AS k FROM {t['AssistanceRecord']} GROUP BY 1), "  # noqa: S608
        f"ih AS (SELECT household_id, SUM(amount) AS s FROM {t['Income']} GROUP BY 1), "
        f"mh AS (SELECT m.household_id, COUNT(*) AS n, COUNT(st.k) AS k FROM {t['Member']} m "
        f"LEFT JOIN st ON st.member_id = m.id GROUP BY 1){per_household} "
        f"SELECT h.id, h.code, v.code, ih.s, mh.n, mh.k, "
        + ", ".join(f"{a}.k" for a in counts)
        + f", r.outcome FROM {t['Household']} h JOIN {t['Village']} v ON v.id = h.village_id "
        f"LEFT JOIN ih ON ih.household_id = h.id LEFT JOIN mh ON mh.household_id = h.id{joins} "
        f"LEFT JOIN {t['ScreeningResult']} r ON r.household_id = h.id AND r.is_current"
    )


def _rows_of(sql: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return len(cursor.fetchall())


def run_aggregate() -> int:
    return _rows_of(aggregate_sql())


def run_inputs() -> int:
    return _rows_of(inputs_sql())


def screening_rows() -> list[Row]:
    """Screening every household vs the SQL aggregate, as `manage.py screen` runs it.

    PostgreSQL screens set-based (screening.setbased): every household's verdict is computed
    again by one statement per policy, and only verdicts that changed are written. The goal row
    is that run over unchanged data; the reference row rewrites every verdict (`--force`).
    SQLite screens each household with the Python rules; its goal row recomputes every verdict.
    """
    count = Household.objects.count()
    run_aggregate()  # warm the cache like the screening's first statement warms it
    before = median_time(run_aggregate, repeat=3)
    forced = data.screen_everything(force=True)
    again = data.screen_everything(force=False)
    after = median_time(run_aggregate, repeat=3)
    baseline = (before + after) / 2
    inputs = median_time(run_inputs, repeat=3)
    set_based = setbased.available()
    goal, other = (again, forced) if set_based else (forced, again)
    per_household = goal / count * 1000
    sql_note = (
        f"基准为一条 SQL（按户汇总收入、计数成员，取回全部 {count:,} 行），"
        f"在研判前后各测 3 次取中位数再平均（{before * 1000:.0f} / {after * 1000:.0f} ms）。"
    )
    if set_based:
        goal_name = f"研判全部家庭（{count:,} 户，每户重新计算，结论未变的不重写）÷ 一条SQL聚合"
        goal_note = (
            f"每户 {per_household:.3f} ms；PostgreSQL 整体研判：同一政策的乡镇一条 SQL 算出每户的"
            "结论、人均收入、计入人数、保障金、临界、回头看、复核事项和重点人群（与 Python 规则逐户"
            "核对一致，见 tests/screening/test_setbased.py），与当前结论逐列比较，只写入变化的。"
            + sql_note
        )
        other_name = "研判全部家庭并全部重写（--force）÷ 一条SQL聚合"
        other_note = f"每户都写入一条新结论（{count:,} 条，COPY）并把旧结论标为非当前。"
    else:
        goal_name = f"研判全部家庭（{count:,} 户，全部重算）÷ 一条SQL聚合"
        goal_note = (
            f"每户 {per_household:.2f} ms；SQLite 逐户用 Python 规则研判并保存明细。" + sql_note
        )
        other_name = "再次研判（数据未变，沿用结论）÷ 一条SQL聚合"
        other_note = (
            "输入摘要未变的家庭只读数据、算摘要，不重新研判、不写入（每晚复核的常见情形）。"
        )
    return [
        Row(
            "screening",
            goal_name,
            goal,
            baseline,
            "s",
            "≤ 3",
            ratio=goal / baseline,
            passed=goal / baseline <= 3,
            note=goal_note,
            extra={"households": count, "per_household_ms": per_household, "set_based": set_based},
        ),
        Row(
            "screening_other",
            other_name,
            other,
            baseline,
            "s",
            "参考",
            ratio=other / baseline,
            note=other_note,
        ),
        Row(
            "screening_inputs",
            "只读取研判用到的全部表（每表最简单的按户汇总，连接家庭和当前结论，不含规则）÷ 一条SQL聚合",
            inputs,
            baseline,
            "s",
            "参考",
            ratio=inputs / baseline,
            note=(
                "研判读 9 张表（家庭、村、成员、收入、救助记录、资产、支出、重点人群登记、申请）"
                "和当前结论，基准只读收入和成员两张表；本行是读这些输入本身的下限，"
                "研判比值减去本行比值即为规则计算的开销。"
            ),
        ),
    ]
