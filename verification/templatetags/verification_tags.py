"""Template tags: a household's verification standing for the household detail page."""

from django import template

from households.models import Campaign

from ..models import Case
from ..services import scope_source, screening_link

register = template.Library()


@register.simple_tag
def household_verification(household) -> dict | None:
    """The household's case in the current campaign, or why it has none.

    Keys: campaign, case (current campaign), earlier (a case of an earlier campaign), and when
    there is no current case: source (a Case.Source value, '' when out of scope), source_label,
    screening (the current screening outcome's label, '' when not screened).
    """
    if household is None or not getattr(household, "pk", None):
        return None
    campaign = Campaign.objects.current(township_id=household.village.township_id)
    cases = Case.objects.filter(household_id=household.pk).select_related("campaign")
    case = cases.filter(campaign=campaign).first() if campaign else None
    info = {"campaign": campaign, "case": case, "earlier": None}
    if case is not None:
        return info
    info["earlier"] = cases.order_by("-campaign__year", "-pk").first()
    if campaign is None:
        return info
    source = scope_source(campaign=campaign, household_id=household.pk) or ""
    result = screening_link.current_results(campaign, [household.pk]).get(household.pk)
    info.update(
        source=source,
        source_label=Case.Source(source).label if source else "",
        screening=screening_link.outcome_label(result.outcome) if result else "",
    )
    return info
