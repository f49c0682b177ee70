"""Builders for dashboard tests: a household with members, assistance, screening and a case."""

from datetime import date

from django.utils import timezone

from households.models import AssistanceRecord, Household, PriorityGroupRecord
from screening.models import ScreeningResult
from tests.factories import HouseholdFactory, MemberFactory
from verification.models import Case, DataMatchResult, HomeVisit, ReviewDecision, ReviewMeeting


def household(village, *, members=1, assistance=None, ended=None, groups=()):
    """A household of `members` people; `assistance` kind opened for each, `ended` = (kind, date,
    reason) closed for the first member instead; `groups` recorded priority groups."""
    h = HouseholdFactory(village=village)
    people = [
        MemberFactory(household=h, relation="head" if i == 0 else "spouse") for i in range(members)
    ]
    if assistance:
        for person in people:
            AssistanceRecord.objects.create(
                member=person, kind=assistance, start_date=date(2020, 1, 1)
            )
    if ended:
        kind, day, reason = ended
        AssistanceRecord.objects.create(
            member=people[-1],
            kind=kind,
            start_date=date(2019, 1, 1),
            end_date=day,
            exit_reason=reason,
        )
    for g in groups:
        PriorityGroupRecord.objects.create(household=h, group=g, evidence="村干部排查")
    h.people = people
    return h


def surveyed(h):
    """Mark the household's 摸排 complete (已摸排), as the officer does."""
    Household.objects.filter(pk=h.pk).update(survey_completed_at=timezone.now())


def screened(h, campaign, outcome, *, groups=(), lookback=False, current=True):
    """A screening result; a household screened here has had its survey marked complete."""
    codes = "," + ",".join(str(g) for g in groups) + "," if groups else ""
    if current:
        surveyed(h)
    return ScreeningResult.objects.create(
        household=h,
        campaign=campaign,
        outcome=outcome,
        group_codes=codes,
        priority_groups=list(groups),
        lookback=lookback,
        is_current=current,
        ruleset_version="test",
        as_of=date(2022, 10, 25),
    )


def case(h, campaign, source, state, *, matched=None, visited=False, decision=None, counted=None):
    """A case; `matched` = how many members have data-match results (default all)."""
    c = Case.objects.create(campaign=campaign, household=h, source=source, state=state)
    if state != "pending_screening":
        surveyed(h)  # a case goes on from 待摸排 only once the survey is complete
    people = h.people if matched is None else h.people[:matched]
    for person in people:
        DataMatchResult.objects.create(
            case=c, member=person, matched_on=date(2022, 11, 5), origin="manual"
        )
    if visited:
        HomeVisit.objects.create(
            case=c,
            visited_on=date(2022, 11, 6),
            investigators=["王静", "涂磊"],
            members_finding="属实",
            employment_income_finding="务农",
            property_finding="无",
            spending_finding="节俭",
            scan_path="scans/x.pdf",
        )
    if decision:
        meeting = ReviewMeeting.objects.create(
            campaign=campaign, held_on=date(2022, 11, 8), chair="冉瑜", recorder="涂磊"
        )
        ReviewDecision.objects.create(
            meeting=meeting, case=c, decision=decision, counted_members=counted, reasons="理由"
        )
    return c
