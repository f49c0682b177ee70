"""django-import-export resources: the household list export and the admin's reference tables.

The household *import* does not use a resource (its per-row instance path is about 8x slower,
see households/importing). The export streams rows from the resource into a write-only
workbook, so memory stays flat however many households there are, and every text cell goes
through households.xlsx_cells (formula escaping, S-16).
"""

from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone
from import_export import resources
from import_export.fields import Field
from import_export.widgets import ForeignKeyWidget, IntegerWidget
from openpyxl import Workbook

from . import idnumber
from .models import Household, Member, Township, Village, VillageGroup
from .xlsx_cells import safe_row

EXPORT_SHEET = "家庭台账"


def household_export_queryset(user, params=None):
    """The households `user` may see, filtered like the list page, with what the export needs."""
    from .views import filter_households  # the list page's filters, applied the same way

    qs = Household.objects.for_user(user)
    if params:
        qs = filter_households(qs, params)
    head_id = Member.objects.filter(household=OuterRef("pk"), relation="head").order_by("pk")
    size = (
        Member.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("village", "group")
        .annotate(
            head_id_number=Subquery(head_id.values("id_number")[:1]), member_count=Subquery(size)
        )
        .order_by("village__code", "code")
    )


class HouseholdResource(resources.ModelResource):
    """One row per household; ID numbers masked unless the user may and asked to reveal them."""

    code = Field(attribute="code", column_name="户编号")
    village = Field(attribute="village__name", column_name="村")
    group = Field(attribute="group__name", column_name="村民组")
    head_name = Field(attribute="head_name", column_name="户主姓名")
    head_id_number = Field(column_name="户主身份证号")
    member_count = Field(attribute="member_count", column_name="家庭人数", widget=IntegerWidget())
    address = Field(attribute="address", column_name="住址")
    phone = Field(attribute="phone", column_name="联系电话")
    hukou_type = Field(column_name="户籍类型")
    referral_source = Field(column_name="发现来源")
    monitoring_type = Field(column_name="监测户类型")
    is_tuopin = Field(column_name="脱贫户")
    created_at = Field(column_name="登记时间")

    class Meta:
        model = Household
        fields = (
            "code",
            "village",
            "group",
            "head_name",
            "head_id_number",
            "member_count",
            "address",
            "phone",
            "hukou_type",
            "referral_source",
            "monitoring_type",
            "is_tuopin",
            "created_at",
        )
        export_order = fields
        chunk_size = 2000

    def __init__(self, *, user=None, reveal: bool = False, params=None):
        super().__init__()
        self.user = user
        self.reveal = bool(reveal and user is not None and user.can_reveal_ids)
        self.params = params

    def get_queryset(self):
        return household_export_queryset(self.user, self.params)

    def dehydrate_head_id_number(self, household) -> str:
        number = getattr(household, "head_id_number", None) or ""
        return number if self.reveal else idnumber.mask(number)

    def dehydrate_hukou_type(self, household) -> str:
        return household.get_hukou_type_display()

    def dehydrate_referral_source(self, household) -> str:
        return household.get_referral_source_display()

    def dehydrate_monitoring_type(self, household) -> str:
        return household.get_monitoring_type_display() if household.monitoring_type else ""

    def dehydrate_is_tuopin(self, household) -> str:
        return "是" if household.is_tuopin else "否"

    def dehydrate_created_at(self, household) -> str:
        return timezone.localtime(household.created_at).strftime("%Y-%m-%d %H:%M")


def write_households_xlsx(resource: HouseholdResource, out, *, queryset=None, progress=None) -> int:
    """Stream the resource's rows into a write-only workbook saved to `out`; return the row count."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(EXPORT_SHEET)
    headers = resource.get_export_headers()
    for idx, width in enumerate((16, 8, 8, 10, 22, 8, 30, 14, 10, 12, 14, 6, 17)):
        ws.column_dimensions[chr(ord("A") + idx)].width = width
    ws.freeze_panes = "A2"
    ws.append(headers)
    count = 0
    for household in resource.iter_queryset(
        queryset if queryset is not None else resource.get_queryset()
    ):
        ws.append(safe_row(ws, resource.export_resource(household, force_native_type=True)))
        count += 1
        if progress is not None and count % 2000 == 0:
            progress(count)
    wb.save(out)
    return count


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
