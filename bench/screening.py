"""P-3: screening every household ÷ one SQL aggregate (income sums, member counts) of the same data."""

from __future__ import annotations

from django.db import connection

from households.models import Household, Income, Member
from screening import setbased

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


def run_aggregate() -> int:
    with connection.cursor() as cursor:
        cursor.execute(aggregate_sql())
        return len(cursor.fetchall())


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
    ]
