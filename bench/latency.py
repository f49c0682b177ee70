"""P-6: p95 of four pages under concurrent users, at a large and a small registry, same run.

For each size: a bench database of its own, the synthetic registry, one campaign per township,
every household screened, the dashboard figures refreshed (what the beat task keeps current),
and gunicorn on loopback. The load generator then runs against the small registry, the large
one and the small one again (bracketing), each time a single-user pass first. Each virtual user is a township's 民政办 account
(townships taken in turn), so at 200,000 households a user works in a township of ≈6,000 among
33 — the county deployment — and at 2,000 in the only township.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

from django.db import connection

from households.models import Household
from xixin_dibao.models import User

from . import data
from .db import bench_database
from .load import Gunicorn, LoadResult, run_load
from .measure import Row

PAGES = (
    ("list", "家庭台账（按状态筛选，第50页）"),
    ("detail", "家庭详情"),
    ("queue", "研判队列"),
    ("dashboard", "工作进度看板"),
)
LIST_PATH = "/households/?status=none&page=50"
DETAILS_PER_USER = 30


@dataclass
class LatencyOptions:
    users: int = 20
    requests_per_user: int = 40
    max_seconds: float = 240
    think: float = 3.0
    workers: int = 0
    threads: int = 2
    keep_db: bool = False

    def gunicorn_workers(self) -> int:
        return self.workers or 2 * (os.cpu_count() or 1) + 1


def _plans(usernames: list[str], seed: int) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    rng = random.Random(seed)
    plans = []
    for username in usernames:
        user = User.objects.get(username=username)
        ids = list(
            Household.objects.for_user(user).order_by("?").values_list("pk", flat=True)[:500]
        )
        details = [f"/households/{pk}/" for pk in rng.sample(ids, min(DETAILS_PER_USER, len(ids)))]
        pages = [
            ("list", [LIST_PATH]),
            ("detail", details),
            ("queue", ["/screening/"]),
            ("dashboard", ["/dashboard/"]),
        ]
        plans.append((username, pages))
    return plans


SOLO_ROUNDS = 8  # single-user pass: each page this many times, back to back


def build(households: int, options: LatencyOptions, log) -> tuple[dict, list]:
    """The registry of this size in the current bench database; (its figures, the user plans)."""
    log(f"  生成 {households:,} 户……")
    generated = data.generate(households=households)
    log(f"  生成用时 {generated:.0f} 秒；研判全部家庭……")
    screened = data.screen_everything()
    log(f"  研判用时 {screened:.0f} 秒")
    data.refresh_dashboards()
    plans = _plans(data.office_users(options.users), seed=households)
    info = {
        "households": Household.objects.count(),
        "townships": len(data.populated_campaigns()),
        "generate_seconds": generated,
        "screen_seconds": screened,
    }
    return info, plans


def _load(port: int, plans: list, options: LatencyOptions, share: float):
    """A single-user pass (service time), then the concurrent users; `share` of the requests."""
    solo = run_load(  # one user, no pause, nobody else
        port=port,
        users=plans[:1],
        password=data.PASSWORD,
        requests_per_user=max(1, round(SOLO_ROUNDS * share)) * len(PAGES),
        max_seconds=options.max_seconds * share,
        think=0,
    )
    result = run_load(
        port=port,
        users=plans,
        password=data.PASSWORD,
        requests_per_user=max(1, round(options.requests_per_user * share)),
        max_seconds=options.max_seconds * share,
        think=options.think,
    )
    return solo, result


def _merge(*results: LoadResult) -> LoadResult:
    merged = LoadResult()
    for r in results:
        merged.samples += r.samples
        merged.errors += r.errors
        merged.seconds += r.seconds
    return merged


def measure(large: int, small: int, options: LatencyOptions, log):
    """Both registries side by side; the small one is loaded before and after the large one.

    So a change in machine load during the run (other users of the machine) reaches both
    sizes alike instead of being read as an effect of size.
    """
    workers = {"workers": options.gunicorn_workers(), "threads": options.threads}
    with bench_database(keep=options.keep_db, suffix="_small") as small_db:
        small_info, small_plans = build(small, options, log)
        with bench_database(keep=options.keep_db) as large_db:
            large_info, large_plans = build(large, options, log)
            log(f"  {options.users} 个并发用户压测：小、大、小……")
            with (
                Gunicorn(env=_env(small_db), **workers) as small_server,
                Gunicorn(env=_env(large_db), **workers) as large_server,
            ):
                first = _load(small_server.port, small_plans, options, 0.5)
                big = _load(large_server.port, large_plans, options, 1.0)
                second = _load(small_server.port, small_plans, options, 0.5)
    sizes = {}
    for name, info, runs in (("large", large_info, [big]), ("small", small_info, [first, second])):
        solo, result = _merge(*(r[0] for r in runs)), _merge(*(r[1] for r in runs))
        info.update(
            requests=len(result.samples),
            seconds=result.seconds,
            errors=(solo.errors + result.errors)[:10],
            solo_median_ms={key: solo.median_ms(key) for key, _ in PAGES},
        )
        sizes[name] = (result, info)
    return sizes["large"], sizes["small"]


def _env(db) -> dict:
    return dict(db.env_without_redis, LOG_LEVEL="WARNING")  # no task leaves the bench


def _ms(info: dict, key: str) -> str:
    value = info["solo_median_ms"].get(key)
    return "—" if value is None else f"{value:.0f} ms"


def latency_rows(*, large: int, small: int, options: LatencyOptions, log) -> list[Row]:
    (large_result, large_info), (small_result, small_info) = measure(large, small, options, log)
    postgres = connection.vendor == "postgresql"
    rows = []
    for key, label in PAGES:
        big, little = large_result.p95_ms(key), small_result.p95_ms(key)
        failures = large_result.failures(key) + small_result.failures(key)
        if big is None or little is None:
            rows.append(
                Row(f"latency_{key}", label, big, little, "ms", "≤ 1.5", note="没有成功的请求")
            )
            continue
        ratio = big / little
        passed = ratio <= 1.5 and (big <= 300 and little <= 300 if postgres else True)
        if failures:
            passed = False
        goal = "≤ 1.5，且 p95 ≤ 300 ms" if postgres else "≤ 1.5"
        rows.append(
            Row(
                f"latency_{key}",
                f"{label} p95：{large_info['households']:,} 户 ÷ {small_info['households']:,} 户",
                big,
                little,
                "ms",
                goal,
                ratio=ratio,
                passed=passed,
                note=(
                    f"各 {large_result.count(key)} / {small_result.count(key)} 次请求"
                    + (f"，失败 {failures} 次" if failures else "")
                    + f"；单用户无并发时中位数 {_ms(large_info, key)} / {_ms(small_info, key)}"
                ),
            )
        )
    rate = [len(r.samples) / r.seconds if r.seconds else 0 for r in (large_result, small_result)]
    rows[0].note += (
        f"。压测：{options.users} 个并发用户（各自登录一次，每次请求之间停顿"
        f" {options.think * 0.5:.1f}–{options.think * 1.5:.1f} 秒），gunicorn"
        f" {options.gunicorn_workers()} 个进程 × {options.threads} 线程，本机回环；"
        f"吞吐 {rate[0]:.1f} / {rate[1]:.1f} 次/秒；"
        f"{large_info['households']:,} 户分布在 {large_info['townships']} 个乡镇，"
        f"{small_info['households']:,} 户在 {small_info['townships']} 个乡镇；"
        f"每个用户是一个乡镇的民政办账户；小规模在大规模之前、之后各测一半请求（抵消机器负载的变化）"
    )
    if large_result.errors or small_result.errors:
        rows[0].note += f"；错误：{(large_result.errors + small_result.errors)[:3]}"
    for row in rows:
        row.extra = {"large": large_info, "small": small_info}
    return rows
