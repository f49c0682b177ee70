"""django-import-export resources for the admin's reference tables (townships, villages, groups).

The household list export is households/exporting.py (the import format, so it imports back).
"""

from import_export import resources
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget

from .models import Township, Village, VillageGroup


class TownshipResource(resources.ModelResource):
    class Meta:
        model = Township
        import_id_fields = ("code",)
        fields = ("code", "name", "county")


class VillageResource(resources.ModelResource):
    """Villages keyed by their 12-digit code; the township by its code."""

    township = Field(
        attribute="township",
        column_name="township",
        widget=ForeignKeyWidget(Township, field="code"),
    )

    class Meta:
        model = Village
        import_id_fields = ("code",)
        fields = ("code", "name", "township", "urban_rural_class")


class VillageGroupResource(resources.ModelResource):
    """Groups keyed by (village code, number)."""

    village = Field(
        attribute="village",
        column_name="village",
        widget=ForeignKeyWidget(Village, field="code"),
    )

    class Meta:
        model = VillageGroup
        import_id_fields = ("village", "number")
        fields = ("village", "number", "name")
