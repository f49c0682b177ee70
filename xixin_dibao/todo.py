"""A village officer's start page: what is left to do in their village, against the deadlines."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import redirect, render

from households.models import Campaign, Household, Member
from verification.models import Case, DataMatchResult, HomeVisit, Notification, Refusal
from verification.states import State

from . import clock

LIST_LIMIT = 30


def _count_subquery(queryset, field="pk"):
    return Coalesce(
        Subquery(queryset.values(field).annotate(c=Count("*")).values("c")[:1]),
        0,
        output_field=IntegerField(),
    )


def todo_lists(*, user, campaign) -> dict:
    """The officer's open work: households to survey, data matches and visits missing, receipts."""
    cases = Case.objects.for_user(user).filter(campaign=campaign).select_related("household")
    residents = Member.objects.filter(household=OuterRef("household"), exclusion="").values(
        "household"
    )
    matched = DataMatchResult.objects.filter(case=OuterRef("pk")).values("case")
    verifying = cases.filter(state=State.PENDING_VERIFICATION).annotate(
        residents=_count_subquery(residents, "household"),
        matched=_count_subquery(matched, "case"),
        visited=Exists(HomeVisit.objects.filter(case=OuterRef("pk"))),
    )
    outstanding = Refusal.objects.filter(
        case__in=cases, case__state=State.NOTICE_DELIVERED, receipt_received_on__isnull=True
    ).select_related("case__household")
    return {
        "to_survey": list(cases.filter(state=State.PENDING_SCREENING)[:LIST_LIMIT]),
        "to_survey_count": cases.filter(state=State.PENDING_SCREENING).count(),
        "match_missing": [c for c in verifying if c.matched < c.residents][:LIST_LIMIT],
        "visit_missing": [c for c in verifying if not c.visited][:LIST_LIMIT],
        "receipts": list(outstanding[:LIST_LIMIT]),
        "overdue_count": cases.filter(overdue=True).count(),
        "state_counts": dict(cases.values_list("state").annotate(n=Count("pk"))),
    }


def deadlines(campaign, today) -> list[dict]:
    return [
        {
            "label": "摸排截止",
            "date": campaign.outreach_deadline,
            "days": (campaign.outreach_deadline - today).days,
        },
        {
            "label": "信息比对、入户调查截止",
            "date": campaign.verification_cutoff,
            "days": (campaign.verification_cutoff - today).days,
        },
    ]


@login_required
def todo(request):
    user = request.user
    if not user.is_village_officer:
        return redirect("home")
    campaign = Campaign.objects.current(user=user)
    context = {"campaign": campaign, "today": clock.today()}
    if campaign is not None:
        context.update(todo_lists(user=user, campaign=campaign))
        context["deadlines"] = deadlines(campaign, context["today"])
        context["notifications"] = Notification.objects.filter(
            campaign=campaign, village_id=user.village_id
        )[:5]
    context["recent"] = Household.objects.for_user(user).order_by("-updated_at")[:8]
    return render(request, "todo.html", context)
