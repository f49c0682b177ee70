"""Progress dashboard figures (洗府发〔2022〕156号 三、四(二); rules 9, 10, 29).

Every figure is counted in the database, grouped by village, with a fixed number of queries
whatever the number of households. Each household-level figure has a named condition; the same
condition lists the households behind the figure (`dashboard_lists.household_ids`), so a list
always matches its number. `refresh_snapshot` stores the figures for the page
(DashboardSnapshot) and the day's coverage (CoverageHistory); the Celery task
`xixin_dibao.tasks.refresh_dashboard` calls it.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.db import connection, transaction
from django.db.models import (
    CharField,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from households import register
from households.models import (
    AssistanceRecord,
    CampaignBaseline,
    Household,
    Member,
    PriorityGroup,
    PriorityGroupRecord,
    Village,
    not_withdrawn,
    surveyed_condition,
)
from verification import outreach

from . import clock
from .models import CoverageHistory, DashboardSnapshot

# 2: 已摸排 is the survey-complete mark; 3: baseline computed from the register;
# 4: a group's 已摸排 column is the survey-complete mark too (was: has a screening result)
VERSION = 4
DIBAO_KINDS = register.DIBAO_KINDS
CURRENT_KINDS = register.CURRENT_KINDS  # = verification's 在册对象
GROUPS = [g.value for g in PriorityGroup]
OUTCOMES = {
    "dibao": "低保",
    "marginal": "低保边缘",
    "not_eligible": "不符合",
    "manual_review": "待复核",
}
CASE_SOURCES = {
    "current_recipient": "在册对象",
    "new_candidate": "新增对象",
    "lookback": "回头看",
}
DECISIONS = {
    "include_dibao": "纳入低保",
    "include_marginal": "纳入低保边缘",
    "maintain": "维持",
    "exit": "退出",
    "reject": "不予纳入",
}
EXIT_REASONS = {code or "none": label for code, label in AssistanceRecord.ExitReason.choices}
EXIT_REASONS["none"] = "未填写原因"

UNVERIFIED = ["pending_screening", "pending_verification"]
REVIEWED = ["reviewed", "in_notice", "reported", "archived"]
NOTICED = ["in_notice", "reported", "archived"]
REFUSALS = ["refused", "notice_delivered", "receipt_returned"]


def optional_model(app_label: str, name: str):
    """The model, or None while the app providing it is missing."""
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def campaign_year_start(campaign) -> date:
    """The day after the end-2021 baseline: exits and entries are counted from here."""
    return date(campaign.year, 1, 1)


# ---- household level: scope, outreach (摸排), screening outcomes ---------------------------


def household_queryset(campaign, today: date):
    """The campaign township's households with the aliases the household conditions use: those
    of the one 摸排 definition (verification.outreach: `sr` the current screening result, `vc`
    the case) and whether each is on assistance now."""
    records = AssistanceRecord.objects.filter(member__household=OuterRef("pk"))
    qs, _ = outreach.households(campaign, today)
    qs = qs.alias(
        on_current=Exists(records.filter(kind__in=CURRENT_KINDS, end_date__isnull=True)),
        on_dibao=Exists(records.filter(kind__in=DIBAO_KINDS, end_date__isnull=True)),
    )
    return qs, optional_model("screening", "ScreeningResult") is not None, True


def household_conditions(has_results: bool, has_cases: bool) -> dict[str, Q]:
    """Figure key → condition on `household_queryset` (positive lookups only on joined rows)."""
    never = Q(pk__isnull=True)
    screened = Q(sr__id__isnull=False) if has_results else never
    has_case = Q(vc__id__isnull=False) if has_cases else never
    # 应摸排, 已摸排 (survey marked complete), 回头看: the deadline checks' definition too.
    outreach_scope = outreach.conditions(has_results)
    any_group, lookback = outreach_scope["groups"], outreach_scope["lookback"]
    conditions = {
        "scope_total": any_group | lookback | Q(on_current=True) | has_case,
        "scope_current": Q(on_current=True),
        "scope_lookback": lookback,
        "scope_groups": any_group,
        "outreach_due": outreach_scope["due"],
        "outreach_done": outreach_scope["done"],
        "screened_total": screened,
        "now_households": Q(on_dibao=True),
    }
    for code in OUTCOMES:
        conditions[f"outcome_{code}"] = Q(sr__outcome=code) if has_results else never
    for g in GROUPS:
        computed = Q(sr__group_codes__contains=f",{g},") if has_results else never
        conditions[f"_computed_{g}"] = computed
        conditions[f"_computed_surveyed_{g}"] = computed & surveyed_condition()
    return conditions


def _household_figures(campaign, today: date) -> dict[int, dict]:
    qs, has_results, has_cases = household_queryset(campaign, today)
    conditions = household_conditions(has_results, has_cases)
    counts = {key: Count("pk", filter=cond) for key, cond in conditions.items()}
    rows = qs.values("village_id").annotate(**counts).order_by("village_id")
    return {row.pop("village_id"): row for row in rows}


def _group_record_figures(campaign) -> dict[int, dict]:
    """Recorded groups, how many of them are 已摸排 (survey marked complete), and how many are
    also computed by the screening (in all, and among the 已摸排)."""
    result_model = optional_model("screening", "ScreeningResult")
    qs = PriorityGroupRecord.objects.filter(
        not_withdrawn("household__"), household__village__township_id=campaign.township_id
    )
    surveyed = surveyed_condition("household__")
    counts = {"n": Count("pk"), "surveyed": Count("pk", filter=surveyed)}
    if result_model is not None:
        current = result_model.objects.filter(
            household=OuterRef("household_id"), campaign=campaign, is_current=True
        )
        pattern = Concat(Value(","), Cast("group", CharField()), Value(","))
        qs = qs.alias(
            pattern=pattern,
            computed=Exists(current.filter(group_codes__contains=OuterRef("pattern"))),
        )
        counts["both"] = Count("pk", filter=Q(computed=True))
        counts["both_surveyed"] = Count("pk", filter=Q(computed=True) & surveyed)
    out: dict[int, dict] = {}
    for row in qs.values("household__village_id", "group").annotate(**counts).order_by():
        figures = out.setdefault(row["household__village_id"], {})
        g = row["group"]
        figures[f"_recorded_{g}"] = row["n"]
        figures[f"_recorded_screened_{g}"] = row["surveyed"]
        figures[f"_recorded_computed_{g}"] = row.get("both", 0)
        figures[f"_recorded_computed_screened_{g}"] = row.get("both_surveyed", 0)
    return out


# ---- case level: verification stages, review decisions ------------------------------------


def case_queryset(campaign):
    """The campaign's verification cases with the aliases the case conditions use, or None."""
    case_model = optional_model("verification", "Case")
    if case_model is None:
        return None
    match_model = optional_model("verification", "DataMatchResult")
    visit_model = optional_model("verification", "HomeVisit")
    co_resident = Member.objects.filter(household=OuterRef("household_id"), exclusion="")
    unmatched = co_resident.filter(
        ~Exists(match_model.objects.filter(case=OuterRef(OuterRef("pk")), member=OuterRef("pk")))
    )
    members = Member.objects.filter(household=OuterRef("household_id")).order_by()
    dibao = AssistanceRecord.objects.filter(member=OuterRef("pk"), kind__in=DIBAO_KINDS)
    on_dibao = members.filter(Exists(dibao.filter(end_date__isnull=True)))
    on_dibao_this_year = members.filter(
        Exists(
            dibao.filter(Q(end_date__isnull=True) | Q(end_date__gte=campaign_year_start(campaign)))
        )
    )

    def count_of(members_qs):
        return Coalesce(
            Subquery(
                members_qs.values("household_id").annotate(c=Count("pk")).values("c")[:1],
                output_field=IntegerField(),
            ),
            0,
        )

    return case_model.objects.filter(campaign=campaign).alias(
        has_members=Exists(co_resident),
        match_gap=Exists(unmatched),
        visited=Exists(visit_model.objects.filter(case=OuterRef("pk"))),
        dec=FilteredRelation(
            "decisions",
            condition=Q(decisions__is_current=True, decisions__decision__in=list(DECISIONS)),
        ),
        household_on_dibao=Exists(on_dibao),
        size=count_of(co_resident.order_by()),
        dibao_persons=count_of(on_dibao),
        dibao_persons_this_year=count_of(on_dibao_this_year),
    )


def case_conditions() -> dict[str, Q]:
    """Figure key → condition on `case_queryset`."""
    conditions = {
        "cases": Q(pk__isnull=False),
        "datamatch_done": Q(has_members=True, match_gap=False),
        "visit_done": Q(visited=True),
        "verification_open": Q(state__in=UNVERIFIED),
        "verification_done": ~Q(state__in=UNVERIFIED),
        "reviewed": Q(state__in=REVIEWED),
        "noticed": Q(state__in=NOTICED),
        "archived": Q(state="archived"),
        "refusal": Q(state__in=REFUSALS),
        "auto_exit": Q(state="auto_exit"),
        "entries_pending_households": Q(dec__decision="include_dibao", household_on_dibao=False),
        "exits_pending_households": (Q(dec__decision="exit") | Q(state="auto_exit"))
        & Q(household_on_dibao=True),
    }
    for code in CASE_SOURCES:
        conditions[f"cases_{code}"] = Q(source=code)
    for code in DECISIONS:
        conditions[f"decision_{code}"] = Q(dec__decision=code)
    return conditions


def _case_figures(campaign) -> dict[int, dict]:
    qs = case_queryset(campaign)
    if qs is None:
        return {}
    conditions = case_conditions()
    aggregates = {key: Count("pk", filter=cond) for key, cond in conditions.items()}
    entry_persons = Coalesce("dec__counted_members", "size")
    aggregates.update(
        entries_persons=Sum(entry_persons, filter=conditions["decision_include_dibao"]),
        entries_pending_persons=Sum(entry_persons, filter=conditions["entries_pending_households"]),
        exits_review_persons=Sum("dibao_persons_this_year", filter=conditions["decision_exit"]),
        exits_auto_persons=Sum("dibao_persons_this_year", filter=conditions["auto_exit"]),
        exits_pending_persons=Sum("dibao_persons", filter=conditions["exits_pending_households"]),
    )
    rows = qs.values("household__village_id").annotate(**aggregates).order_by()
    out = {}
    for row in rows:
        village_id = row.pop("household__village_id")
        out[village_id] = {k: v or 0 for k, v in row.items()}
    return out


# ---- coverage: dibao now and exits from the registry since the baseline --------------------


def dibao_member_queryset(campaign, today: date):
    dibao = AssistanceRecord.objects.filter(member=OuterRef("pk"), kind__in=DIBAO_KINDS)
    last_exit = (
        dibao.filter(end_date__gte=campaign_year_start(campaign), end_date__lte=today)
        .order_by("-end_date", "-id")
        .values("exit_reason")[:1]
    )
    members = Member.objects.filter(
        not_withdrawn("household__"), household__village__township_id=campaign.township_id
    )
    return members.alias(on_dibao=Exists(dibao.filter(end_date__isnull=True))).annotate(
        exit_reason=Subquery(last_exit)
    )


def exited_households_queryset(campaign, today: date):
    """Households that left dibao since the baseline (no member on it now), with the reason
    of the latest ended record."""
    dibao = AssistanceRecord.objects.filter(member__household=OuterRef("pk"), kind__in=DIBAO_KINDS)
    last_exit = (
        dibao.filter(end_date__gte=campaign_year_start(campaign), end_date__lte=today)
        .order_by("-end_date", "-id")
        .values("exit_reason")[:1]
    )
    return (
        Household.objects.filter(village__township_id=campaign.township_id)
        .alias(on_dibao=Exists(dibao.filter(end_date__isnull=True)))
        .annotate(exit_reason=Subquery(last_exit))
        .filter(on_dibao=False, exit_reason__isnull=False)
    )


def _coverage_figures(campaign, today: date) -> dict[int, dict]:
    out: dict[int, dict] = {}
    members = dibao_member_queryset(campaign, today)
    for row in (
        members.filter(on_dibao=True)
        .values("household__village_id")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        out.setdefault(row["household__village_id"], {})["now_persons"] = row["n"]
    exited_members = members.filter(on_dibao=False, exit_reason__isnull=False)
    for row in (
        exited_members.values("household__village_id", "exit_reason")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        reason = row["exit_reason"] or "none"
        figures = out.setdefault(row["household__village_id"], {})
        figures[f"exits_registry_persons_{reason}"] = row["n"]
    for row in (
        exited_households_queryset(campaign, today)
        .values("village_id", "exit_reason")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        reason = row["exit_reason"] or "none"
        out.setdefault(row["village_id"], {})[f"exits_registry_households_{reason}"] = row["n"]
    return out


def _baseline_figures(campaign) -> dict[int, dict]:
    """The entered end-2021 baseline, and the same figures computed from the register."""
    out = {
        b.village_id: {
            "baseline_households": b.dibao_households,
            "baseline_persons": b.dibao_persons,
            "baseline_marginal_households": b.marginal_households,
        }
        for b in CampaignBaseline.objects.filter(campaign=campaign)
    }
    day = register.baseline_day(campaign)
    active = AssistanceRecord.objects.filter(
        register.active_on(day),
        kind__in=DIBAO_KINDS,
        member__household__village__township_id=campaign.township_id,
    )
    for row in (
        active.values("member__household__village_id")
        .annotate(
            households=Count("member__household", distinct=True),
            persons=Count("member", distinct=True),
        )
        .order_by()
    ):
        figures = out.setdefault(row["member__household__village_id"], {})
        figures["baseline_computed_households"] = row["households"]
        figures["baseline_computed_persons"] = row["persons"]
    return out


# ---- putting it together ----------------------------------------------------------------


def figure_keys() -> list[str]:
    """Every figure a village row and the total carry (derived ones included)."""
    keys = list(household_conditions(True, True)) + list(case_conditions())
    keys += ["outreach_pending", "outreach_overdue", "verification_overdue"]
    keys += [
        "entries_persons",
        "entries_pending_persons",
        "exits_review_persons",
        "exits_auto_persons",
        "exits_pending_persons",
        "now_persons",
        "baseline_households",
        "baseline_persons",
        "baseline_marginal_households",
        "baseline_computed_households",
        "baseline_computed_persons",
        "baseline_mismatch",
        "net_households",
        "net_persons",
        "projected_households",
        "projected_persons",
        "exits_registry_households",
        "exits_registry_persons",
    ]
    for reason in EXIT_REASONS:
        keys += [f"exits_registry_households_{reason}", f"exits_registry_persons_{reason}"]
    for g in GROUPS:
        keys += [
            f"_recorded_{g}",
            f"_recorded_screened_{g}",
            f"_recorded_computed_{g}",
            f"_recorded_computed_screened_{g}",
            f"group_{g}",
            f"group_{g}_screened",
        ]
    return list(dict.fromkeys(keys))


def derive(figures: dict, campaign, today: date) -> dict:
    """Add the figures computed from others (sums, differences, projections)."""
    f = figures
    f["outreach_pending"] = f["outreach_due"] - f["outreach_done"]
    f["outreach_overdue"] = f["outreach_pending"] if today > campaign.outreach_deadline else 0
    f["verification_overdue"] = (
        f["verification_open"] if today > campaign.verification_cutoff else 0
    )
    f["baseline_mismatch"] = int(
        f["baseline_computed_households"] != f["baseline_households"]
        or f["baseline_computed_persons"] != f["baseline_persons"]
    )
    f["net_households"] = f["now_households"] - f["baseline_households"]
    f["net_persons"] = f["now_persons"] - f["baseline_persons"]
    f["projected_households"] = (
        f["now_households"] + f["entries_pending_households"] - f["exits_pending_households"]
    )
    f["projected_persons"] = (
        f["now_persons"] + f["entries_pending_persons"] - f["exits_pending_persons"]
    )
    for unit in ("households", "persons"):
        f[f"exits_registry_{unit}"] = sum(f[f"exits_registry_{unit}_{r}"] for r in EXIT_REASONS)
    for g in GROUPS:
        # Computed or recorded, each household once; 已摸排 among them (surveyed_condition).
        f[f"group_{g}"] = f[f"_computed_{g}"] + f[f"_recorded_{g}"] - f[f"_recorded_computed_{g}"]
        f[f"group_{g}_screened"] = (
            f[f"_computed_surveyed_{g}"]
            + f[f"_recorded_screened_{g}"]
            - f[f"_recorded_computed_screened_{g}"]
        )
    return f


def without_jit() -> None:
    """PostgreSQL's JIT compiles these many-branch aggregates for seconds to save milliseconds
    (measured: 2.6 s of a 3.2 s query on a 9,000-household township); turn it off for them."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def compute(campaign, today: date | None = None) -> dict:
    """All dashboard figures of `campaign` per village and in total, as JSON-ready data."""
    today = today or clock.today()
    keys = figure_keys()
    with transaction.atomic():
        without_jit()
        parts = [
            _household_figures(campaign, today),
            _group_record_figures(campaign),
            _case_figures(campaign),
            _coverage_figures(campaign, today),
            _baseline_figures(campaign),
        ]
    villages = list(
        Village.objects.filter(township_id=campaign.township_id)
        .order_by("code")
        .values("id", "code", "name")
    )
    rows = []
    for village in villages:
        figures = dict.fromkeys(keys, 0)
        for part in parts:
            figures.update(part.get(village["id"], {}))
        figures["now_households"] = figures["now_households"] or 0
        rows.append({**village, "f": derive(figures, campaign, today)})
    total = dict.fromkeys(keys, 0)
    for row in rows:
        for key in keys:
            total[key] += row["f"][key]
    return {
        "version": VERSION,
        "as_of": today.isoformat(),
        "campaign": {
            "id": campaign.pk,
            "name": campaign.name,
            "township": campaign.township.name,
            "year": campaign.year,
            "outreach_deadline": campaign.outreach_deadline.isoformat(),
            "verification_cutoff": campaign.verification_cutoff.isoformat(),
        },
        "villages": rows,
        "total": total,
    }


def refresh_snapshot(*, campaign, today: date | None = None) -> DashboardSnapshot:
    """Recompute the figures, store them, and record today's township coverage."""
    today = today or clock.today()
    data = compute(campaign, today)
    snapshot, _ = DashboardSnapshot.objects.update_or_create(
        campaign=campaign,
        defaults={"as_of": today, "computed_at": clock.now(), "data": data},
    )
    CoverageHistory.objects.update_or_create(
        campaign=campaign,
        day=today,
        defaults={
            "dibao_households": data["total"]["now_households"],
            "dibao_persons": data["total"]["now_persons"],
        },
    )
    return snapshot


def current_snapshot(campaign) -> DashboardSnapshot:
    """The stored figures if they are from today and this code's version, else fresh ones."""
    today = clock.today()
    snapshot = DashboardSnapshot.objects.filter(campaign=campaign).first()
    if snapshot is None or snapshot.as_of != today or snapshot.data.get("version") != VERSION:
        snapshot = refresh_snapshot(campaign=campaign, today=today)
    return snapshot
