"""Screen households against the campaign's rules and store the verdicts (洗府发〔2022〕156号 三).

Bulk screening works in chunks of CHUNK_SIZE (10,000) households. Per chunk it issues a fixed
number of queries, whatever the chunk's size: 8 to read the registry, 1 for the current results,
at most 2 UPDATEs and 1 INSERT (one executemany on SQLite); a run adds 4 (run row, scope ids,
finish, audit). So 100 and 10,000 households cost the same; a county adds one chunk's worth per 10,000.

A household whose inputs (registry rows, parameters, rule-set version, as-of date) are
unchanged since its current verdict keeps that verdict instead of getting a duplicate;
`force=True` re-writes every verdict.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial

from django.db import connection, transaction
from django.db.models import Count, F, JSONField, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.sql import InsertQuery

from households import register
from households.models import Campaign, Household
from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent

from . import setbased
from .models import ScreeningResult, ScreeningRun
from .registry import (
    CHUNK_SIZE,
    chunk_querysets,
    chunked,
    facts_for_households,
    facts_from_bundle,
    load_bundles,
    policy_from_campaign,
    policy_key,
    policy_to_dict,
)
from .rules import OUTCOME_LABELS, RULESET_VERSION
from .verdicts import result_fields, safe_evaluate
from .whatif import WhatIfReport, what_if

__all__ = [
    "CHUNK_SIZE",
    "WhatIfReport",
    "campaign_for_household",
    "facts_for_households",
    "lookback_households",
    "policy_from_campaign",
    "rescreen",
    "screen_campaigns",
    "screen_household",
    "screen_households",
    "what_if",
]

Progress = Callable[[int, int], None]


def campaign_for_household(household: Household) -> Campaign | None:
    """The current campaign of the household's township (CampaignQuerySet.current)."""
    return Campaign.objects.current(township_id=household.village.township_id)


RESULT_FIELDS = [f for f in ScreeningResult._meta.concrete_fields if not f.primary_key]
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _insert(rows: list[dict]) -> None:
    """Write one chunk's new results (column values by attname) with one statement.

    PostgreSQL: COPY FROM STDIN (no SQL to compile or parse for 2,000 rows × 22 columns).
    SQLite: one executemany (Django caps SQLite inserts at 999 parameters, about 45 rows here,
    which would make the number of queries grow with the chunk). Others: bulk_create.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if hasattr(cursor, "copy_expert"):  # psycopg2
                _copy(cursor, rows)
                return
    if connection.vendor != "sqlite":
        results = [ScreeningResult(**row) for row in rows]
        ScreeningResult.objects.bulk_create(results, batch_size=CHUNK_SIZE)
        return
    query = InsertQuery(ScreeningResult)
    query.insert_values(RESULT_FIELDS, [ScreeningResult(**rows[0])])
    compiler = query.get_compiler(connection=connection)
    [(statement, _)] = compiler.as_sql()
    convert = [_converter(f, compiler) for f in RESULT_FIELDS]
    names = [f.attname for f in RESULT_FIELDS]
    values = [
        [to_db(row[name]) for to_db, name in zip(convert, names, strict=True)] for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, values)


def _copy(cursor, rows: list[dict]) -> None:
    """COPY the rows in PostgreSQL's text format (values shared by every row convert once)."""
    convert = [_copy_converter(f) for f in RESULT_FIELDS]
    names = [f.attname for f in RESULT_FIELDS]
    buffer = io.StringIO()
    for row in rows:
        buffer.write(
            "\t".join([to_text(row[n]) for to_text, n in zip(convert, names, strict=True)])
        )
        buffer.write("\n")
    buffer.seek(0)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in RESULT_FIELDS)
    table = quote(ScreeningResult._meta.db_table)
    cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)


def _copy_text(text: str) -> str:
    """Escape for COPY's text format (chained replace: str.translate is slow on Chinese)."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_converter(field):
    """One column's value as COPY text: \\N for NULL, t/f, ISO dates, compact JSON, escaped."""
    if isinstance(field, JSONField):  # JSON text has no raw tab or newline: only \\ to double
        return _memo(lambda v: _json(v).replace("\\", "\\\\"))
    if field.get_internal_type() in ("DateField", "DateTimeField"):
        return _memo(lambda v: "\\N" if v is None else v.isoformat())
    if field.get_internal_type() == "BooleanField":
        return lambda v: "t" if v else "f"
    return lambda v: "\\N" if v is None else _copy_text(str(v))


def _converter(field, compiler):
    """How one column's value reaches SQLite; values shared by every row convert once."""
    if isinstance(field, JSONField):
        return _memo(_json)
    if field.get_internal_type() in ("DateField", "DateTimeField", "DecimalField"):
        return _memo(lambda v: compiler.prepare_value(field, v))
    return lambda v: v


def _memo(convert):
    last = [object(), None]

    def cached(value):
        if value is not last[0]:
            last[0], last[1] = value, convert(value)
        return last[1]

    return cached


class _Context:
    """What every chunk of one screening shares: campaign, policy, its snapshot and run."""

    def __init__(self, campaign: Campaign, *, run: ScreeningRun | None = None, force=False):
        self.campaign = campaign
        self.as_of = clock.today()
        self.policy = policy_from_campaign(campaign, as_of=self.as_of)
        self.params = policy_to_dict(self.policy)
        self.key = policy_key(self.params)
        # Every fingerprint starts with this digest of the policy and the code versions: a
        # set-based run keeps a verdict whose columns are unchanged under the same policy.
        # The as-of date is left out: a verdict whose columns come out equal a day later stands.
        same = policy_key({k: v for k, v in self.params.items() if k != "as_of"})
        self.tag = hashlib.blake2b(same.encode(), digest_size=4).hexdigest()
        self.run = run
        self.force = force
        self.now = clock.now()
        self.outcomes: Counter = Counter()
        self.evaluated = self.changed = self.done = 0

    @property
    def result_params(self) -> dict:
        """The snapshot stored on each verdict: none when the run holds it (policy_params)."""
        return {} if self.run else self.params


def _write(new: list[dict], *, replaced: list[int], confirmed: list[int]) -> None:
    """Store new verdicts, retire the ones they replace, clear "changed" on confirmed ones.

    A re-check that confirms the outcome clears "changed", as a fresh identical row would.
    """
    if confirmed:
        ScreeningResult.objects.filter(pk__in=confirmed).update(changed=False)
    if replaced:
        ScreeningResult.objects.filter(pk__in=replaced).update(is_current=False)
    if new:
        _insert(new)


def _screen_chunk(ctx: _Context, households: QuerySet) -> None:
    """Screen one chunk in one transaction; lock the households so a save cannot interleave."""
    with transaction.atomic():
        _campaign_lock(ctx.campaign, shared=True)
        bundles = load_bundles(households, lock=True)
        current = {
            row[0]: row[1:]
            for row in ScreeningResult.objects.filter(
                campaign=ctx.campaign,
                is_current=True,
                household_id__in=households.order_by().values("pk"),
            ).values_list("household_id", "pk", "outcome", "fingerprint", "changed")
        }
        new, replaced, confirmed = [], [], []
        for pk, bundle in bundles.items():
            fingerprint = ctx.tag + bundle.fingerprint(ctx.key)
            previous = current.get(pk)
            if previous and previous[2] == fingerprint and not ctx.force:
                ctx.outcomes[previous[1]] += 1
                if previous[3]:
                    confirmed.append(previous[0])
                continue
            verdict = safe_evaluate(lambda b=bundle: facts_from_bundle(b, ctx.as_of), ctx.policy)
            row = result_fields(
                verdict,
                household_id=pk,
                campaign_id=ctx.campaign.pk,
                run_id=ctx.run and ctx.run.pk,
                previous_outcome=previous[1] if previous else "",
                params=ctx.result_params,
                as_of=ctx.as_of,
                fingerprint=fingerprint,
                created_at=ctx.now,
                village_code=bundle.household[-2],
                household_code=bundle.household[-1],
            )
            new.append(row)
            ctx.outcomes[row["outcome"]] += 1
            ctx.changed += row["changed"]
            if previous:
                replaced.append(previous[0])
        _write(new, replaced=replaced, confirmed=confirmed)
        ctx.evaluated += len(new)
        ctx.done += len(bundles)


def _campaign_lock(campaign: Campaign, *, shared: bool) -> None:
    """PostgreSQL: a set-based run of the campaign (exclusive) and single re-screens (shared)
    take turns, so a save made during a run is re-screened after the run, never before it."""
    if connection.vendor == "postgresql":
        kind = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {kind}(%s, %s)", [SCREENING_LOCK, campaign.pk])


SCREENING_LOCK = 7201  # advisory lock namespace of screening runs (any fixed number)
# Positions in a setbased.different_rows row: COLUMNS, then the current verdict's columns.
_STORED = slice(1, 1 + len(setbased.STORED_COLUMNS))
_NEEDS_REFERENCE = setbased.COLUMNS.index("needs_reference")
_TOWNSHIP = setbased.COLUMNS.index("township_id")
_STALE = setbased.COLUMNS.index("stale")
_CURRENT = len(setbased.COLUMNS)


def _screen_setbased(
    contexts: list[_Context], *, village=None, household_ids=None, everywhere=False
) -> None:
    """Screen the campaigns' townships (one policy) set-based, in one transaction.

    The rules run in SQL over every household's stored aggregates (HouseholdFacts). A household
    whose aggregates do not stand (written since, another policy, a birthday or an assistance
    date passed) comes back stale: its aggregates are recomputed from the registry tables and
    the rules run again for those households alone.
    A household keeps its current verdict when the policy is the same and every column comes
    out equal; the statement compares them and sends back only the households that differ.
    Those get a new verdict, without the stored explanation, which the household page and the
    dossier work out from the registry with the reference rules (screening.explain).
    Households whose rows the SQL cannot judge go through the rules.
    `everywhere`: these townships hold every household, so the statement needs no scope.
    """
    by_township = {ctx.campaign.township_id: ctx for ctx in contexts}
    first = contexts[0]
    household_ids = None if household_ids is None else list(household_ids)
    ask = partial(
        setbased.different_rows,
        first.policy,
        tag=first.tag,
        campaign_ids=[ctx.campaign.pk for ctx in contexts],
        everything=first.force,
        stored=True,
    )
    with transaction.atomic():
        for ctx in contexts:
            _campaign_lock(ctx.campaign, shared=False)
        scope = {
            "township_ids": None if everywhere else list(by_township),
            "village_id": village.pk if village is not None else None,
            "household_ids": household_ids,
        }
        rows = ask(**scope)
        stale = {row[0] for row in rows if row[_STALE]}
        if stale:
            # Most of the scope (a first run, a new release): the whole scope; a list of ids
            # makes every table's scan a lookup per household.
            many = len(stale) * 4 > _households_in(scope)
            again = scope if many else {"township_ids": None, "household_ids": sorted(stale)}
            setbased.refresh_facts(first.policy, **again)
            rows = [row for row in rows if not row[_STALE]]
            # Stale again only if a write committed in between: the rules screen those.
            rows += [
                (*row[:_NEEDS_REFERENCE], row[_NEEDS_REFERENCE] or row[_STALE])
                + row[_NEEDS_REFERENCE + 1 :]
                for row in ask(**again)
                if row[0] in stale
            ]
        new, replaced, confirmed, reference = [], [], [], {}
        for row in rows:
            pk, columns, township_id = row[0], row[_STORED], row[_TOWNSHIP]
            current_id, current_outcome, current_changed, kept = row[_CURRENT:]
            needs_reference = row[_NEEDS_REFERENCE]
            ctx = by_township[township_id]
            if needs_reference:
                reference.setdefault(township_id, []).append(pk)
            elif kept and not ctx.force:
                if current_changed:
                    confirmed.append(current_id)
            else:
                fields = setbased_fields(ctx, pk, columns, current_outcome or "")
                new.append(fields)
                ctx.evaluated += 1
                ctx.changed += fields["changed"]
                if current_id:
                    replaced.append(current_id)
        _write(new, replaced=replaced, confirmed=confirmed)
        for township_id, ids in reference.items():
            for chunk in chunked(ids):
                _screen_chunk(by_township[township_id], Household.objects.filter(pk__in=chunk))
        _count_outcomes(contexts, village=village, household_ids=household_ids)


def _households_in(scope: dict) -> int:
    households = Household.objects.all()
    if scope["township_ids"] is not None:
        households = households.filter(village__township_id__in=scope["township_ids"])
    if scope["village_id"] is not None:
        households = households.filter(village_id=scope["village_id"])
    if scope["household_ids"] is not None:
        households = households.filter(pk__in=scope["household_ids"])
    return households.count()


def _count_outcomes(contexts: list[_Context], *, village, household_ids) -> None:
    """The runs' households and outcomes, as now stored (unchanged verdicts never left the
    database): one grouped count of the current verdicts in scope."""
    results = ScreeningResult.objects.filter(
        campaign__in=[ctx.campaign for ctx in contexts], is_current=True
    )
    if village is not None:
        results = results.filter(household__village=village)
    if household_ids is not None:
        results = results.filter(household_id__in=household_ids)
    by_campaign = {ctx.campaign.pk: ctx for ctx in contexts}
    for ctx in contexts:
        ctx.outcomes, ctx.done = Counter(), 0
    counts = (
        results.filter(household__village__township_id=F("campaign__township_id"))
        .order_by()
        .values_list("campaign_id", "outcome")
        .annotate(n=Count("pk"))
    )
    for campaign_id, outcome, n in counts:
        by_campaign[campaign_id].outcomes[outcome] += n
        by_campaign[campaign_id].done += n


def setbased_fields(ctx: _Context, household_id: int, columns: tuple, previous: str) -> dict:
    """A set-based verdict's column values by attname (no stored explanation: `data` is {})."""
    values = dict(zip(setbased.STORED_COLUMNS, columns, strict=True))
    flags = [c for c in values["flag_codes"].split(",") if c]
    groups = [int(c) for c in values["group_codes"].split(",") if c]
    digest = hashlib.blake2b(repr(columns).encode(), digest_size=16).hexdigest()
    return dict(
        household_id=household_id,
        campaign_id=ctx.campaign.pk,
        run_id=ctx.run and ctx.run.pk,
        flags=flags,
        priority_groups=groups,
        changed=bool(previous) and previous != values["outcome"],
        previous_outcome=previous,
        ruleset_version=RULESET_VERSION,
        as_of=ctx.as_of,
        params=ctx.result_params,
        data={},
        fingerprint=ctx.tag + digest,
        is_current=True,
        created_at=ctx.now,
        **values,
    )


def _chunks(campaign, *, village=None, household_ids=None) -> tuple[int, list[QuerySet]]:
    """The households to screen, as (count, one queryset per chunk)."""
    scope = Household.objects.filter(village__township_id=campaign.township_id)
    if village is not None:
        scope = scope.filter(village=village)
    if household_ids is None:
        ids = list(scope.order_by("pk").values_list("pk", flat=True))
        return len(ids), list(chunk_querysets(scope, ids))
    ids = []
    for chunk in chunked(sorted(set(household_ids))):
        ids += scope.filter(pk__in=chunk).order_by("pk").values_list("pk", flat=True)
    return len(ids), [Household.objects.filter(pk__in=chunk) for chunk in chunked(ids)]


def screen_household(*, household_id: int, actor=None) -> ScreeningResult | None:
    """Re-screen one household (after its data were saved); None if it has no active campaign.

    Derived data: no audit entry per household (the save that triggered it was audited).
    """
    household = Household.objects.select_related("village").filter(pk=household_id).first()
    campaign = household and campaign_for_household(household)
    if campaign is None:
        return None
    _screen_chunk(_Context(campaign), Household.objects.filter(pk=household_id))
    return ScreeningResult.objects.filter(
        household_id=household_id, campaign=campaign, is_current=True
    ).first()


def screen_households(
    *,
    campaign: Campaign,
    household_ids: Iterable[int] | None = None,
    village=None,
    actor=None,
    progress: Progress | None = None,
    force: bool = False,
    job=None,
) -> ScreeningRun:
    """Screen the campaign's households (all, one village, or the given ids) and record the run."""
    if household_ids is not None:
        scope = ScreeningRun.Scope.HOUSEHOLDS
    else:
        scope = ScreeningRun.Scope.VILLAGE if village is not None else ScreeningRun.Scope.ALL
    ctx = _Context(campaign, force=force)
    ctx.run = _start_run(ctx, scope=scope, village=village, actor=actor, job=job)
    if setbased.available():
        _screen_setbased([ctx], village=village, household_ids=household_ids)
        if progress:
            progress(ctx.done, ctx.done)
        return _finish_run(ctx, actor)
    total, chunks = _chunks(campaign, village=village, household_ids=household_ids)
    for households in chunks:
        _screen_chunk(ctx, households)
        if progress:
            progress(ctx.done, total)
    return _finish_run(ctx, actor)


def screen_campaigns(
    campaigns: list[Campaign], *, actor=None, force: bool = False
) -> list[ScreeningRun]:
    """Screen every household of each campaign's township, a run per campaign.

    On PostgreSQL the townships whose campaigns hold the same policy (a county's usual case)
    are screened by one statement; elsewhere each campaign is screened in turn.
    """
    if not setbased.available():
        return [screen_households(campaign=c, actor=actor, force=force) for c in campaigns]
    groups: dict[str, list[_Context]] = {}
    for campaign in campaigns:
        ctx = _Context(campaign, force=force)
        ctx.run = _start_run(ctx, scope=ScreeningRun.Scope.ALL, village=None, actor=actor, job=None)
        groups.setdefault(ctx.key, []).append(ctx)
    populated = set(
        Household.objects.order_by().values_list("village__township_id", flat=True).distinct()
    )
    for contexts in groups.values():
        townships = {ctx.campaign.township_id for ctx in contexts}
        _screen_setbased(contexts, everywhere=populated <= townships)
    return [_finish_run(ctx, actor) for contexts in groups.values() for ctx in contexts]


def _start_run(ctx: _Context, *, scope, village, actor, job) -> ScreeningRun:
    return ScreeningRun.objects.create(
        campaign=ctx.campaign,
        scope=scope,
        village=village,
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
        job=job,
        forced=ctx.force,
        as_of=ctx.as_of,
        ruleset_version=RULESET_VERSION,
        params=ctx.params,
        started_at=ctx.now,
    )


def _finish_run(ctx: _Context, actor) -> ScreeningRun:
    run = ctx.run
    run.finished_at = clock.now()
    run.household_count = ctx.done
    run.evaluated_count = ctx.evaluated
    run.changed_count = ctx.changed
    run.outcome_counts = {str(k): v for k, v in sorted(ctx.outcomes.items())}
    run.save(
        update_fields=[
            "finished_at",
            "household_count",
            "evaluated_count",
            "changed_count",
            "outcome_counts",
        ]
    )
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.CREATE,
        obj=run,
        after=snapshot(run),
        summary=f"资格研判（{run.scope_label}）：{run_summary(run)}",
    )
    return run


def run_summary(run: ScreeningRun) -> str:
    """研判 120 户，其中低保 10 户、… ；结论变化 3 户."""
    parts = [
        f"{OUTCOME_LABELS[o]} {run.outcome_counts[o.value]} 户"
        for o in OUTCOME_LABELS
        if run.outcome_counts.get(o.value)
    ]
    detail = f"，其中{'、'.join(parts)}" if parts else ""
    return f"研判 {run.household_count} 户{detail}；结论变化 {run.changed_count} 户"


def rescreen(*, household_ids: Iterable[int], actor=None) -> list[ScreeningRun]:
    """Screen the given households under their townships' current campaigns (one run each)."""
    ids = sorted(set(household_ids))
    townships = Household.objects.filter(pk__in=ids).values("village__township_id")
    campaigns = (
        Campaign.objects.current_campaigns().filter(township_id__in=townships).order_by("pk")
    )
    return [screen_households(campaign=c, household_ids=ids, actor=actor) for c in campaigns]


def lookback_households(campaign: Campaign, *, user=None, kind: str = ""):
    """Households to re-examine (回头看, 洗府发〔2022〕156号 三(一)): left 低保 or had a 低保 /
    边缘 application refused since campaign.lookback_since (households.register defines both),
    annotated with the latest such date.

    `kind` is "exit", "refused" or "" for both; `user` limits to the households they may see.
    """
    since, today = campaign.lookback_since, clock.today()
    exits = (
        register.lookback_exits(since=since, until=today)
        .filter(member__household=OuterRef("pk"))
        .values("member__household")
        .annotate(d=Max("end_date"))
        .values("d")
    )
    refusals = (
        register.lookback_refusals(since=since)
        .filter(household=OuterRef("pk"))
        .values("household")
        .annotate(d=Max("refused_on"))
        .values("d")
    )
    qs = Household.objects.for_user(user) if user is not None else Household.objects.all()
    qs = qs.filter(village__township_id=campaign.township_id).annotate(
        last_exit=Subquery(exits), last_refusal=Subquery(refusals)
    )
    if kind == "exit":
        return qs.filter(last_exit__isnull=False)
    if kind == "refused":
        return qs.filter(last_refusal__isnull=False)
    return qs.filter(Q(last_exit__isnull=False) | Q(last_refusal__isnull=False))
