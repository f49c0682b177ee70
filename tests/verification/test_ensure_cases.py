"""Opening cases for every in-scope household: bulk, idempotent, scoped to the township."""

from datetime import date

import pytest
from django.utils import timezone

from households.models import Application, Household
from tests.factories import (
    AssistanceFactory,
    HouseholdFactory,
    MemberFactory,
    TownshipFactory,
    VillageFactory,
)
from tests.verification.factories import screening_result
from verification.models import Case, CaseTransition
from verification.services import ensure_cases, screening_link
from verification.states import State
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


def on_assistance(village, kind="dibao", end=None, start=date(2020, 1, 1)):
    member = MemberFactory(household=HouseholdFactory(village=village))
    AssistanceFactory(member=member, kind=kind, start_date=start, end_date=end)
    return member.household


def test_scope_covers_current_lookback_and_candidates(campaign, village_a, village_b):
    current = on_assistance(village_a)
    marginal = on_assistance(village_b, kind="marginal")
    exited = on_assistance(village_a, end=date(2021, 6, 30))
    old_exit = on_assistance(village_a, end=date(2020, 12, 31))
    refused = HouseholdFactory(village=village_b)
    Application.objects.create(
        household=refused, applied_on=date(2021, 8, 1), kind="dibao", outcome="refused"
    )
    extreme = on_assistance(village_a, kind="extreme_poverty")
    nobody = HouseholdFactory(village=village_a)

    opened = ensure_cases(campaign=campaign)

    sources = dict(Case.objects.values_list("household_id", "source"))
    assert sources == {
        current.pk: "current_recipient",
        marginal.pk: "current_recipient",
        exited.pk: "lookback",
        refused.pk: "lookback",
    }
    assert opened == 4
    assert old_exit.pk not in sources and extreme.pk not in sources and nobody.pk not in sources
    states = dict(Case.objects.values_list("household_id", "state"))
    assert states[current.pk] == State.PENDING_VERIFICATION  # recipients go straight to checks
    assert states[exited.pk] == State.PENDING_SCREENING
    assert (
        CaseTransition.objects.filter(from_state="", to_state=State.PENDING_SCREENING).count() == 2
    )
    assert AuditEvent.objects.filter(model="verification.Case", kind="create").count() == 4


def test_current_recipient_wins_over_lookback(campaign, village_a):
    household = on_assistance(village_a, end=date(2021, 5, 1))
    AssistanceFactory(member=household.members.get(), kind="dibao", start_date=date(2022, 1, 1))
    ensure_cases(campaign=campaign)
    assert Case.objects.get(household=household).source == "current_recipient"


def test_other_township_is_out_of_scope(campaign):
    elsewhere = VillageFactory(township=TownshipFactory(code="500240999", name="别乡"))
    on_assistance(elsewhere)
    assert ensure_cases(campaign=campaign) == 0


def test_idempotent(campaign, village_a):
    on_assistance(village_a)
    on_assistance(village_a, end=date(2021, 6, 30))
    assert ensure_cases(campaign=campaign) == 2
    events = AuditEvent.objects.count()
    assert ensure_cases(campaign=campaign) == 0
    assert Case.objects.count() == 2 and AuditEvent.objects.count() == events


def test_query_count_does_not_grow_with_households(
    campaign, village_a, django_assert_max_num_queries
):
    for _ in range(2):
        on_assistance(village_a)
    with django_assert_max_num_queries(30) as small:
        ensure_cases(campaign=campaign)
    for _ in range(25):
        on_assistance(village_a)
        on_assistance(village_a, end=date(2022, 3, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert ensure_cases(campaign=campaign) == 50


def test_screening_candidates_open_cases_and_advance_screened(campaign, village_a):
    candidate = HouseholdFactory(village=village_a)
    MemberFactory(household=candidate)
    screening_result(candidate, campaign, outcome="marginal")
    rejected = HouseholdFactory(village=village_a)
    screening_result(rejected, campaign, outcome="not_eligible")
    lookback = on_assistance(village_a, end=date(2021, 6, 30))

    Household.objects.filter(pk=candidate.pk).update(survey_completed_at=timezone.now())
    ensure_cases(campaign=campaign)
    case = Case.objects.get(household=candidate)
    assert case.source == "new_candidate" and case.state == State.PENDING_VERIFICATION
    assert not Case.objects.filter(household=rejected).exists()
    assert Case.objects.get(household=lookback).state == State.PENDING_SCREENING

    # Screened is not enough: only a survey marked complete (已摸排) goes on to verification.
    screening_result(lookback, campaign, outcome="dibao")
    ensure_cases(campaign=campaign)
    assert Case.objects.get(household=lookback).state == State.PENDING_SCREENING
    Household.objects.filter(pk=lookback.pk).update(survey_completed_at=timezone.now())
    ensure_cases(campaign=campaign)
    moved = Case.objects.get(household=lookback)
    assert moved.state == State.PENDING_VERIFICATION and moved.version == 2
    assert moved.transitions.last().reason == "摸排已完成，转入核查"


def test_works_without_the_screening_model(campaign, village_a, monkeypatch):
    monkeypatch.setattr(screening_link, "result_model", lambda: None)
    on_assistance(village_a, end=date(2021, 6, 30))
    assert ensure_cases(campaign=campaign) == 1
    assert screening_link.current_results(campaign) == {}
