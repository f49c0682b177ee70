"""Read the screening app's results, whether or not that app (or its model) exists yet.

screening.models.ScreeningResult: household, campaign, outcome ("dibao" / "marginal" /
"not_eligible" / "manual_review"), per_capita_income (Decimal, 人均年收入 as in
screening.rules.Verdict), is_current, data (JSON).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Q

CANDIDATE_OUTCOMES = ("dibao", "marginal", "manual_review")


@dataclass(frozen=True)
class ScreeningInfo:
    outcome: str
    per_capita_income_annual: Decimal | None
    member_count: int | None = None  # members counted by the screening, when it says


def result_model():
    """The ScreeningResult model, or None when the screening app does not provide it."""
    if not apps.is_installed("screening"):
        return None
    try:
        return apps.get_model("screening", "ScreeningResult")
    except LookupError:
        return None


def current_results(campaign, household_ids=None) -> dict[int, ScreeningInfo]:
    """The current screening result per household for `campaign` (one query)."""
    model = result_model()
    if model is None:
        return {}
    qs = model.objects.filter(campaign=campaign, is_current=True)
    if household_ids is not None:
        qs = qs.filter(household_id__in=list(household_ids))
    fields = ["household_id", "outcome", "per_capita_income"]
    has_count = any(f.name == "member_count" for f in model._meta.get_fields())
    rows = qs.order_by("household_id", "pk").values_list(*fields, *(["member_count"] * has_count))
    return {row[0]: ScreeningInfo(*row[1:]) for row in rows}


def screened_household_ids(campaign):
    """A subquery of households with a current screening result, or None if none can exist."""
    model = result_model()
    if model is None:
        return None
    return model.objects.filter(campaign=campaign, is_current=True).values("household_id")


# Flags whose household's income is not known yet, so never on an agenda (screening.rules):
# 未登记收入 (an incomplete survey) and a 公积金 found by 信息比对 with no wage declared.
INCOMPLETE_SURVEY_FLAG = "income_not_registered"
UNMEASURED_WAGE_FLAG = "housing_fund_wage_undeclared"
OFF_AGENDA_FLAGS = (INCOMPLETE_SURVEY_FLAG, UNMEASURED_WAGE_FLAG)


def flagged_household_ids(campaign, codes):
    """A subquery of households whose current screening result carries any flag in `codes`."""
    model = result_model()
    if model is None:
        return None
    carries = Q()
    for code in codes:
        carries |= Q(flag_codes__contains=f",{code},")
    return model.objects.filter(carries, campaign=campaign, is_current=True).values("household_id")


def candidate_household_ids(campaign):
    """Households whose current screening outcome makes them new candidates."""
    model = result_model()
    if model is None:
        return None
    return model.objects.filter(
        campaign=campaign, is_current=True, outcome__in=CANDIDATE_OUTCOMES
    ).values("household_id")


def outcome_label(outcome: str) -> str:
    """The screening app's Chinese name of an outcome ("低保", "不符合"…)."""
    model = result_model()
    if model is None:
        return outcome
    return dict(model._meta.get_field("outcome").flatchoices).get(outcome, outcome)


@dataclass(frozen=True)
class VerdictSummary:
    """What the case page and the agenda show of the current verdict and its change."""

    outcome: str
    label: str
    previous_label: str  # '' unless the verdict changed at the last screening
    monthly_amount: Decimal | None
    flags: tuple[str, ...]


def verdict_summaries(campaign, household_ids) -> dict[int, VerdictSummary]:
    """The current verdict per household, with its previous outcome when it changed (one query)."""
    model = result_model()
    if model is None:
        return {}
    rows = model.objects.filter(
        campaign=campaign, is_current=True, household_id__in=list(household_ids)
    ).values_list(
        "household_id", "outcome", "changed", "previous_outcome", "monthly_amount", "flags"
    )
    out = {}
    for hid, outcome, changed, previous, amount, flags in rows:
        messages = tuple(f.get("message", "") for f in flags or [] if isinstance(f, dict))
        out[hid] = VerdictSummary(
            outcome=outcome,
            label=outcome_label(outcome),
            previous_label=outcome_label(previous) if changed and previous else "",
            monthly_amount=amount,
            flags=messages,
        )
    return out


def flag_names(flag_codes: str) -> list[str]:
    """The Chinese names of a result's ",code1,code2," flags."""
    codes = [c for c in (flag_codes or "").split(",") if c]
    if not codes or result_model() is None:
        return codes
    from screening.labels import flag_label

    return [flag_label(c) for c in codes]
