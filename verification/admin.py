"""Read-only admin views: every change goes through the services (table, roles, cutoff, audit)."""

from django.contrib import admin

from households.models import Household

from .models import (
    Bulletin,
    Case,
    CaseTransition,
    DataMatchResult,
    HomeVisit,
    Notification,
    Objection,
    PublicNotice,
    Refusal,
    RelativeDeclaration,
    ReviewDecision,
    ReviewMeeting,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    household_path = ""  # lookup from this model to its household, "" if none

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if not self.household_path:
            return qs
        visible = Household.objects.for_user(request.user).values("pk")
        return qs.filter(**{f"{self.household_path}__in": visible})


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    household_path = "household"
    list_display = ["household", "campaign", "source", "state", "overdue", "separately_registered"]
    list_filter = ["state", "source", "overdue", "separately_registered", "household__village"]
    search_fields = ["household__head_name", "household__code"]
    list_select_related = ["household", "campaign"]


@admin.register(CaseTransition)
class CaseTransitionAdmin(ReadOnlyAdmin):
    household_path = "case__household"
    list_display = ["case", "from_state", "to_state", "actor_name", "at", "reason"]
    list_filter = ["to_state"]
    list_select_related = ["case__household"]


@admin.register(DataMatchResult)
class DataMatchResultAdmin(ReadOnlyAdmin):
    household_path = "case__household"
    list_display = ["member", "matched_on", "vehicles", "deposits", "houses", "origin"]
    list_select_related = ["member"]


@admin.register(HomeVisit)
class HomeVisitAdmin(ReadOnlyAdmin):
    household_path = "case__household"
    list_display = ["case", "visited_on", "investigators_text", "county_participated"]
    list_select_related = ["case__household"]


@admin.register(Refusal)
class RefusalAdmin(ReadOnlyAdmin):
    household_path = "case__household"
    list_display = ["case", "refused_on", "notice_number", "delivered_on", "receipt_received_on"]
    list_select_related = ["case__household"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "number", "chair", "recorder"]


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    household_path = "case__household"
    list_display = ["case", "meeting", "decision", "monthly_amount", "is_current"]
    list_filter = ["decision", "is_current"]
    list_select_related = ["case__household", "meeting"]


@admin.register(PublicNotice)
class PublicNoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "village", "start_date", "days"]


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyAdmin):
    household_path = "entry__case__household"
    list_display = ["entry", "received_on", "action"]


@admin.register(RelativeDeclaration)
class RelativeDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["declarant", "name", "relation", "created_at"]
    exclude = ["id_number"]  # never shown in full here


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "village", "kind", "created_on"]
    list_filter = ["kind", "village"]


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["title", "generated_on"]
