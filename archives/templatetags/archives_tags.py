from django import template

from archives.models import Dossier, DossierDocument

register = template.Library()


@register.inclusion_tag("archives/_dossier_summary.html")
def dossier_summary(household, user):
    """The household's dossier status for its detail page (two queries)."""
    return {
        "household": household,
        "user": user,
        "current": Dossier.objects.current_for(household.pk),
        "scan_count": DossierDocument.objects.filter(
            household=household, source=DossierDocument.Source.UPLOADED
        ).count(),
    }
