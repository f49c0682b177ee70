from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from households.idnumber import mask

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_link(context, name: str, label: str):
    """A navigation link, marked current when the page is under it; nothing if not routed."""
    try:
        url = reverse(name)
    except NoReverseMatch:
        return ""
    path = context["request"].path
    current = ' aria-current="page"' if path.startswith(url) and url != "/" else ""
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
