"""What a review meeting sees per agenda row: the verdict, the proposal, what checks found."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, prefetch_related_objects

from .. import matching
from ..models import Case, DataMatchResult, HomeVisit, ReviewDecision
from . import screening_link
from .datamatch import declared_for

D = ReviewDecision.Decision
CENT = Decimal("0.01")


def proposed_decision(outcome: str, source: str) -> str:
    """The decision the screening verdict points to ("" when it needs the meeting's judgement).

    A current recipient who still qualifies is maintained (维持), one who no longer does exits
    (退出); a new candidate is included (纳入) or refused (不予纳入).
    """
    current = source == Case.Source.CURRENT_RECIPIENT
    if outcome == "dibao":
        return D.MAINTAIN if current else D.INCLUDE_DIBAO
    if outcome == "marginal":
        return D.INCLUDE_MARGINAL
    if outcome == "not_eligible":
        return D.EXIT if current else D.REJECT
    return ""


@dataclass
class AgendaSummary:
    outcome: str = ""
    outcome_label: str = "未研判"
    per_capita_annual: Decimal | None = None
    per_capita_monthly: Decimal | None = None
    proposed: str = ""
    proposed_label: str = "由会议研究"
    proposed_amount: Decimal | None = None
    flags: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    visit: str = ""  # the latest home visit's findings, or "" when there was none


def _visit_text(visit) -> str:
    if visit is None:
        return ""
    parts = [
        ("人员", visit.members_finding),
        ("就业收入", visit.employment_income_finding),
        ("财产", visit.property_finding),
        ("开支", visit.spending_finding),
    ]
    found = "；".join(f"{label}：{text.strip()}" for label, text in parts if text.strip())
    return f"{visit.visited_on:%m月%d日}（{visit.investigators_text}）{found}"


def _mismatches(case) -> list[str]:
    """case_mismatches over prefetched rows: what the data match shows that was not declared."""
    matched = [
        matching.Matched(
            member_id=r.member_id,
            name=r.member.name,
            vehicles=r.vehicles,
            deposits=r.deposits,
            business=r.business,
            pension_monthly=r.pension_monthly,
            houses=r.houses,
            housing_fund=r.housing_fund,
        )
        for r in case.data_matches.all()
    ]
    if not matched:
        return []
    return [m.message for m in matching.compare(declared_for(case.household), matched)]


def agenda_summaries(items: list[ReviewDecision]) -> dict[int, AgendaSummary]:
    """One summary per agenda item, in a fixed number of queries whatever the agenda's length."""
    if not items:
        return {}
    prefetch_related_objects(
        [i.case for i in items],
        Prefetch("data_matches", queryset=DataMatchResult.objects.select_related("member")),
        Prefetch("home_visits", queryset=HomeVisit.objects.order_by("-visited_on", "-id")),
        "household__assets",
        "household__incomes",
    )
    campaign = items[0].case.campaign
    model = screening_link.result_model()
    results = {}
    if model is not None:
        rows = model.objects.filter(
            campaign=campaign,
            is_current=True,
            household_id__in=[i.case.household_id for i in items],
        ).values("household_id", "outcome", "per_capita_income", "monthly_amount", "flag_codes")
        results = {r["household_id"]: r for r in rows}
    summaries = {}
    for item in items:
        case = item.case
        summary = AgendaSummary()
        result = results.get(case.household_id)
        if result:
            summary.outcome = result["outcome"]
            summary.outcome_label = screening_link.outcome_label(result["outcome"])
            annual = result["per_capita_income"]
            summary.per_capita_annual = annual
            if annual is not None:
                summary.per_capita_monthly = (Decimal(annual) / 12).quantize(CENT, ROUND_HALF_UP)
            summary.proposed_amount = result["monthly_amount"]
            summary.flags = screening_link.flag_names(result["flag_codes"])
        summary.proposed = proposed_decision(summary.outcome, case.source)
        if summary.proposed:
            summary.proposed_label = D(summary.proposed).label
        if summary.proposed not in (D.INCLUDE_DIBAO, D.MAINTAIN):
            summary.proposed_amount = None
        summary.mismatches = _mismatches(case)
        visits = list(case.home_visits.all())
        summary.visit = _visit_text(visits[0] if visits else None)
        summaries[item.pk] = summary
    return summaries
