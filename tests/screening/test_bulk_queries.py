"""Issue 3.7: the bulk path issues the same number of queries for 100 and for 10,000 households."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.idnumber import make
from households.models import Household, Income, Member
from screening import services
from screening.models import ScreeningResult

pytestmark = pytest.mark.django_db


def add_households(village, n: int, start: int) -> None:
    """Bulk-create n two-person households with one wage income each (fast set-up)."""
    households = Household.objects.bulk_create(
        Household(village=village, code=f"Q{start + i:06d}", head_name=f"户主{start + i}")
        for i in range(n)
    )
    members = []
    for i, h in enumerate(households, start=start):
        for k, relation in enumerate(("head", "spouse")):
            n_person = 2 * i + k  # a unique (birth date, sequence) pair per person
            born = date(1950, 1, 1) + timedelta(days=n_person // 999)
            members.append(
                Member(
                    household=h,
                    name=f"{relation}{i}",
                    relation=relation,
                    id_number=make("500241", born, n_person % 999 + 1),
                )
            )
    Member.objects.bulk_create(members, batch_size=2000)
    Income.objects.bulk_create(
        (
            Income(household=h, kind="wage", amount=Decimal(4000 + (h.pk % 90) * 100))
            for h in households
        ),
        batch_size=2000,
    )


def screen_all(campaign) -> int:
    ScreeningResult.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        services.screen_households(campaign=campaign)
    return len(ctx.captured_queries)


def test_same_query_count_for_100_and_10000_households(campaign, village_a):
    add_households(village_a, 100, 0)
    small = screen_all(campaign)
    assert ScreeningResult.objects.filter(is_current=True).count() == 100
    add_households(village_a, 9_900, 100)
    large = screen_all(campaign)
    assert ScreeningResult.objects.filter(is_current=True).count() == 10_000
    assert small == large
