"""Template tags: a household's verification case for the household detail page."""

from django import template

from households.models import Campaign

from ..models import Case

register = template.Library()


@register.simple_tag
def household_case(household):
    """The household's case in the current campaign (or its latest case), or None."""
    if household is None or not getattr(household, "pk", None):
        return None
    cases = Case.objects.filter(household_id=household.pk).select_related("campaign")
    current = Campaign.objects.filter(is_active=True).order_by("-year", "-id").values("pk")[:1]
    return (
        cases.filter(campaign_id__in=current).first()
        or cases.order_by("-campaign__year", "-pk").first()
    )
