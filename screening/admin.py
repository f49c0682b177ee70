"""Read-only admin views of runs and results: verdicts are derived data, never edited by hand."""

from django.contrib import admin

from households.models import Household

from .models import ScreeningResult, ScreeningRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScreeningRun)
class ScreeningRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "campaign",
        "scope",
        "village",
        "started_by",
        "household_count",
        "evaluated_count",
        "changed_count",
        "ruleset_version",
    ]
    list_filter = ["campaign", "scope"]


@admin.register(ScreeningResult)
class ScreeningResultAdmin(ReadOnlyAdmin):
    list_display = [
        "household",
        "outcome",
        "per_capita_income",
        "near_line",
        "changed",
        "is_current",
        "ruleset_version",
        "created_at",
    ]
    list_filter = ["campaign", "is_current", "outcome", "near_line", "changed"]
    list_select_related = ["household"]
    search_fields = ["household__code", "household__head_name"]
    show_full_result_count = False

    def get_queryset(self, request):
        visible = Household.objects.for_user(request.user)
        return super().get_queryset(request).filter(household__in=visible.values("pk"))
