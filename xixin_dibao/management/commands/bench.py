"""`manage.py bench` (make bench): performance ratios, each measured side by side in one run.

Every phase runs in a throwaway database (bench/db.py) on the server DATABASE_URL names
(SQLite by default): the user's data is never read or written. See docs/bench-latest.md for the
latest table and docs/scaling.md for what the figures mean for a county or a municipality.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

PHASES = ("screening", "import", "export", "pdf", "latency", "dossiers")


class Command(BaseCommand):
    help = (
        "性能基准：每一项都与同一次运行中测得的基准并排比较，打印一张表。"
        "在独立的临时数据库中运行（PostgreSQL 为 <库名>_bench，SQLite 为临时文件），不触碰业务数据。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--households", type=int, default=20000, help="研判、导入导出、PDF 用的户数"
        )
        parser.add_argument("--seed", type=int, default=1, help="模拟数据的随机种子")
        parser.add_argument(
            "--only", default=",".join(PHASES), help=f"只运行其中几项，逗号分隔：{','.join(PHASES)}"
        )
        parser.add_argument("--latency-large", type=int, default=200000, help="压测的大规模户数")
        parser.add_argument("--latency-small", type=int, default=2000, help="压测的小规模户数")
        parser.add_argument("--users", type=int, default=20, help="并发用户数")
        parser.add_argument(
            "--requests-per-user", type=int, default=40, help="每个用户的请求数上限"
        )
        parser.add_argument(
            "--max-seconds", type=float, default=240, help="每轮压测的时长上限（秒）"
        )
        parser.add_argument(
            "--think", type=float, default=3.0, help="用户两次请求之间的平均停顿（秒），0 为不停顿"
        )
        parser.add_argument("--gunicorn-workers", type=int, default=0, help="默认 2×核数+1")
        parser.add_argument("--import-rows", type=int, default=50000, help="导入文件的家庭成员行数")
        parser.add_argument("--dossier-households", type=int, default=1549, help="档案包的户数")
        parser.add_argument(
            "--dossier-timeout", type=float, default=3600, help="档案包等待上限（秒）"
        )
        parser.add_argument(
            "--pg-set",
            action="append",
            default=[],
            metavar="名称=值",
            help="给临时 PostgreSQL 库设置参数（可重复），如 --pg-set random_page_cost=1.1",
        )
        parser.add_argument("--json", dest="json_path", help="把结果另存为 JSON 文件")
        parser.add_argument("--markdown", dest="markdown_path", help="把表格另存为 Markdown 文件")
        parser.add_argument("--keep-db", action="store_true", help="保留临时数据库（排查问题用）")

    def handle(self, *args, **options):
        only = [p.strip() for p in options["only"].split(",") if p.strip()]
        unknown = set(only) - set(PHASES)
        if unknown:
            raise CommandError(f"--only 中有未知的项：{'、'.join(sorted(unknown))}")
        if options["households"] < 100:
            raise CommandError("--households 至少 100 户。")
        from bench import db, measure

        for setting in options["pg_set"]:
            if not db.PG_SETTING.match(setting):
                raise CommandError(f"--pg-set 应为 名称=值，如 random_page_cost=1.1：{setting}")
        db.PG_SETTINGS[:] = options["pg_set"]
        from xixin_dibao.celery import app

        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True  # no task of the bench reaches the user's workers
        info = {
            "started": datetime.now().strftime("%Y-%m-%d %H:%M"),
            "load_start": measure.load_average(),
            "machine": measure.machine(),
            "commit": measure.git_commit(),
            "options": self._describe(options, only),
        }
        started = time.monotonic()
        rows = []
        try:
            rows += self._main_phase(only, options)
            if "latency" in only:
                rows += self._latency(options)
            if "dossiers" in only:
                from bench.dossiers import dossier_rows

                self._log("档案包：")
                rows += dossier_rows(
                    households=options["dossier_households"],
                    timeout=options["dossier_timeout"],
                    keep_db=options["keep_db"],
                    log=self._log,
                )
        finally:
            app.conf.task_always_eager = eager
        info.update(
            finished=datetime.now().strftime("%Y-%m-%d %H:%M"),
            seconds=time.monotonic() - started,
            load_end=measure.load_average(),
        )
        head = measure.header_lines(info)
        self.stdout.write("\n".join(["", *head, "", measure.text_table(rows)]))
        if options["json_path"]:
            with open(options["json_path"], "w", encoding="utf-8") as fh:
                fh.write(measure.to_json(rows, info))
        if options["markdown_path"]:
            with open(options["markdown_path"], "w", encoding="utf-8") as fh:
                fh.write(
                    "\n\n".join(
                        ["\n".join(f"- {line}" for line in head), measure.markdown_table(rows)]
                    )
                )
                fh.write("\n")

    def _log(self, message: str) -> None:
        self.stderr.write(message)

    def _describe(self, options, only) -> str:
        parts = [f"--only {','.join(only)}", f"--households {options['households']}"]
        parts += [f"--pg-set {setting}" for setting in options["pg_set"]]
        if "latency" in only:
            parts.append(
                f"--latency-large {options['latency_large']} --latency-small {options['latency_small']}"
                f" --users {options['users']} --think {options['think']}"
            )
        if "import" in only:
            parts.append(f"--import-rows {options['import_rows']}")
        if "dossiers" in only:
            parts.append(f"--dossier-households {options['dossier_households']}")
        return " ".join(parts)

    def _main_phase(self, only, options) -> list:
        wanted = [p for p in ("screening", "export", "pdf", "import") if p in only]
        if not wanted:
            return []
        from bench import data, excel, pdf, screening
        from bench.db import bench_database

        rows = []
        with bench_database(keep=options["keep_db"]) as db:
            self._log(
                f"数据库 {connection.vendor}：生成 {options['households']:,} 户（2 个乡镇）……"
            )
            seconds = data.generate(
                households=options["households"], seed=options["seed"], townships=2
            )
            self._log(f"  生成用时 {seconds:.0f} 秒")
            data.campaigns_for_every_township()
            county = data.county_office_user()
            if "screening" in wanted:
                self._log("研判……")
                rows += screening.screening_rows()
            if "export" in wanted:
                self._log("花名册导出……")
                rows += excel.export_rows(
                    env=db.env_without_redis, user=county, half_user=excel.smaller_township_user()
                )
            if "pdf" in wanted:
                self._log("档案PDF……")
                if "screening" not in wanted:
                    data.screen_everything()
                rows += pdf.pdf_rows()
            if "import" in wanted:
                self._log(f"Excel导入（{options['import_rows']:,} 行）……")
                rows += excel.import_rows(
                    env=db.env_without_redis,
                    folder=db.folder,
                    member_rows=options["import_rows"],
                    username=county.username,
                )
        return rows

    def _latency(self, options) -> list:
        from bench.latency import LatencyOptions, latency_rows

        self._log(f"压测：{options['latency_small']:,} 户与 {options['latency_large']:,} 户……")
        return latency_rows(
            large=options["latency_large"],
            small=options["latency_small"],
            options=LatencyOptions(
                users=options["users"],
                requests_per_user=options["requests_per_user"],
                max_seconds=options["max_seconds"],
                think=options["think"],
                workers=options["gunicorn_workers"],
                keep_db=options["keep_db"],
            ),
            log=self._log,
        )
