from django import forms
from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .models import (
    Asset,
    Campaign,
    CampaignBaseline,
    Household,
    Income,
    Member,
    Township,
    Village,
    VillageGroup,
)
from .resources import TownshipResource, VillageGroupResource, VillageResource


class ScopedAdmin(admin.ModelAdmin):
    """Admin lists go through the same scoping rule as the app."""

    household_path = "household"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        visible = Household.objects.for_user(request.user)
        if self.household_path == "":
            return qs.filter(pk__in=visible.values("pk"))
        return qs.filter(**{f"{self.household_path}__in": visible.values("pk")})


@admin.register(Township)
class TownshipAdmin(ImportExportModelAdmin):
    resource_classes = [TownshipResource]
    list_display = ["code", "name", "county"]


@admin.register(VillageGroup)
class VillageGroupAdmin(ImportExportModelAdmin):
    resource_classes = [VillageGroupResource]
    list_display = ["village", "number", "name"]
    list_filter = ["village"]


class GroupInline(admin.TabularInline):
    model = VillageGroup
    extra = 0


@admin.register(Village)
class VillageAdmin(ImportExportModelAdmin):
    resource_classes = [VillageResource]
    list_display = ["code", "name", "township", "urban_rural_class"]
    list_filter = ["township"]
    inlines = [GroupInline]


class BaselineInline(admin.TabularInline):
    model = CampaignBaseline
    extra = 0


class CampaignForm(forms.ModelForm):
    """The policy lists as choices people recognise, not JSON of English codes."""

    excluded_income_kinds = forms.MultipleChoiceField(
        label="不计入家庭收入的收入类型",
        choices=Income.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exempt_vehicle_kinds = forms.MultipleChoiceField(
        label="不计入的车辆类型",
        choices=[c for c in Asset.VehicleKind.choices if c[0]],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="勾选的车辆类型不视为“有非豁免车辆”。",
    )
    # No Meta: the admin builds the form for Campaign with its own field list.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "is_active" in self.fields:  # CampaignQuerySet.current_campaigns
            self.fields["is_active"].help_text = (
                "同一乡镇有多个“当前活动”的工作方案时，以年度最新（同一年度取最后建立）的为准，"
                "其余视为已结束，看板、摸排、核查和通报都不再使用。"
            )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "year",
        "township",
        "dibao_standard_monthly",
        "employment_cost_rate",
        "employment_cost_scope",
        "outreach_deadline",
        "verification_cutoff",
        "is_active",
    ]
    inlines = [BaselineInline]
    save_as = True  # next year's campaign: open this one, change the numbers, "另存为新的"


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    household_path = ""
    list_display = ["code", "head_name", "village", "group"]
    list_filter = ["village"]
    search_fields = ["code", "head_name"]
    show_full_result_count = False
    list_select_related = ["village", "group"]


@admin.register(Member)
class MemberAdmin(ScopedAdmin):
    list_display = ["name", "household", "relation"]
    search_fields = ["name"]
    exclude = ["id_number"]
    list_select_related = ["household"]
    show_full_result_count = False
