"""P-7: the page answers from the snapshot in well under a second whatever the registry's size.

Built with bulk_create so the test stays quick; the figures are still checked.
"""

import time
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from households.models import AssistanceRecord, Household, Member, PriorityGroupRecord
from screening.models import ScreeningResult
from verification.models import Case
from xixin_dibao import dashboard

pytestmark = pytest.mark.django_db
N = 3000


def bulk_township(campaign, villages, n):
    households = Household.objects.bulk_create(
        [
            Household(village=villages[i % len(villages)], code=f"S{i:06d}", head_name=f"户{i}")
            for i in range(n)
        ]
    )
    members = Member.objects.bulk_create(
        [
            Member(household=h, name=f"{h.head_name}{k}", relation="head" if k == 0 else "child")
            for h in households
            for k in range(2)
        ]
    )
    AssistanceRecord.objects.bulk_create(
        [
            AssistanceRecord(member=m, kind="dibao", start_date=date(2020, 1, 1))
            for m in members[: n // 2]
        ]
    )
    PriorityGroupRecord.objects.bulk_create(
        [PriorityGroupRecord(household=h, group=1 + i % 12) for i, h in enumerate(households)]
    )
    ScreeningResult.objects.bulk_create(
        [
            ScreeningResult(
                household=h,
                campaign=campaign,
                outcome="dibao" if i % 3 else "not_eligible",
                group_codes=f",{1 + i % 12},",
                ruleset_version="t",
                as_of=date(2022, 10, 25),
            )
            for i, h in enumerate(households)
            if i % 5
        ]
    )
    Case.objects.bulk_create(
        [
            Case(
                campaign=campaign, household=h, source="new_candidate", state="pending_verification"
            )
            for h in households[::2]
        ]
    )
    # 已摸排: the screened ones, and those whose case is past 待摸排.
    surveyed = [h.pk for i, h in enumerate(households) if i % 5 or i % 2 == 0]
    Household.objects.filter(pk__in=surveyed).update(survey_completed_at=timezone.now())


def test_page_from_snapshot_is_fast_and_flat(
    campaign, village_a, village_b, office_user, client_for, today
):
    client = client_for(office_user)
    client.get("/")
    client.get("/dashboard/")
    with CaptureQueriesContext(connection) as small:
        client.get("/dashboard/")

    bulk_township(campaign, [village_a, village_b], N)
    started = time.perf_counter()
    dashboard.refresh_snapshot(campaign=campaign)
    compute_seconds = time.perf_counter() - started
    total = dashboard.current_snapshot(campaign).data["total"]
    assert total["scope_total"] == N
    # Marked 已摸排: the screened (4 in 5) and every other one of the rest (case past 待摸排).
    assert total["outreach_done"] == N - N // 5 + N // 10
    assert total["cases"] == N // 2
    assert total["now_persons"] == N // 2 and total["now_households"] == N // 4
    assert sum(total[f"group_{g}"] for g in range(1, 13)) == N

    timings = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as big:
            started = time.perf_counter()
            assert client.get("/dashboard/").status_code == 200
            timings.append(time.perf_counter() - started)
    assert len(big.captured_queries) == len(small.captured_queries)
    assert sorted(timings)[2] < 1.0, timings  # median page time from the snapshot
    assert compute_seconds < 10, compute_seconds  # uncached recomputation (P-7)
