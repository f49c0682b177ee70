"""`{% household_screening household user as screening %}` for the household page's section."""

from django import template

from screening.explain import explained
from screening.labels import GROUP_LABELS, NOT_SCREENED, flag_label, outcome_label
from screening.models import ScreeningResult
from screening.presentation import explanation, format_parameter, parameters
from screening.services import campaign_for_household

register = template.Library()
HISTORY_LIMIT = 20


@register.simple_tag
def household_screening(household, user) -> dict:
    """The current verdict with its explanation, and the earlier verdicts (3 queries)."""
    campaign = campaign_for_household(household)
    if campaign is None:
        return {"campaign": None}
    results = ScreeningResult.objects.filter(household=household, campaign=campaign)
    current = results.filter(is_current=True).select_related("run").first()
    history = list(
        results.filter(is_current=False)
        .select_related("run")
        .only(
            "created_at",
            "outcome",
            "per_capita_income",
            "ruleset_version",
            "as_of",
            "params",
            "run__scope",
            "run__params",
        )[:HISTORY_LIMIT]
    )
    worked = explained(current) if current else None
    return {
        "campaign": campaign,
        "result": current,
        "explain": explanation(worked.data) if worked else None,
        "explain_stale": bool(worked) and not worked.matches,
        "parameters": parameters(current.policy_params) if current else [],
        "previous_label": outcome_label(current.previous_outcome) if current else "",
        "history": history,
        "can_rescreen": user.can_edit_registry,
    }


@register.filter
def outcome_name(code: str) -> str:
    """低保 / 低保边缘 / 不符合 / 需人工复核 (未研判 for none)."""
    return outcome_label(code)


@register.filter
def flag_name(code: str) -> str:
    return flag_label(code)


@register.filter
def group_name(number: int) -> str:
    return GROUP_LABELS.get(number, str(number))


@register.filter
def group_mark(number: int) -> str:
    """②: the circled group number, short enough for a table cell."""
    return GROUP_LABELS.get(number, str(number))[:1]


@register.filter
def money_text(value) -> str:
    """A stored amount ("6972.00") as 6,972.00."""
    return format_parameter("dibao_standard_annual", value) if value not in (None, "") else "—"


@register.simple_tag
def current_outcomes(households) -> dict:
    """{household pk: current verdict's label} for a page of households (one query)."""
    rows = ScreeningResult.objects.filter(
        household__in=[h.pk for h in households], is_current=True, campaign__is_active=True
    ).values_list("household_id", "outcome")
    return {pk: outcome_label(outcome) for pk, outcome in rows}


@register.filter
def outcome_of(outcomes: dict, household) -> str:
    return outcomes.get(household.pk, NOT_SCREENED)
