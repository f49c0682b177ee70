from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from households.idnumber import mask

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, name: str, label: str, match: str = ""):
    """A navigation link, marked current when the view's name starts with `match` (or its app).

    Nothing is rendered when the URL name does not exist in this deployment.
    """
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
    resolved = getattr(context["request"], "resolver_match", None)
    view_name = resolved.view_name if resolved else ""
    prefixes = [p for p in (match or name.split(":")[0] + ":").split("|") if p]
    current = ' aria-current="page"' if any(view_name.startswith(p) for p in prefixes) else ""
    return format_html('<a href="{}"{}>{}</a>', url, mark_safe(current), label)


@register.filter
def masked_id(value):
    """Mask an ID number: 500240********1234."""
    return mask(value)


@register.filter
def yuan(value):
    """Format money as 6,972.00."""
    if value in (None, ""):
        return "—"
    return f"{value:,.2f}"
