"""The structure behind the bench figures: query counts do not grow with the data.

The existing guards (tests/households, tests/screening, tests/dashboard) grow one village with
factory households. These use the scale generator itself (households.synthetic, the same data
as `manage.py bench`): several villages and groups, members, incomes, assets, assistance
spells, priority groups. Each page or service is counted at a small and a ten times larger
registry, with the filters and deep pages the bench loads, and the counts must be equal.
"""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Campaign, Household, Township
from households.synthetic import AS_OF
from screening import services
from screening.models import ScreeningResult, ScreeningRun
from tests.factories import CampaignFactory, UserFactory
from xixin_dibao import dashboard
from xixin_dibao.models import CoverageHistory, DashboardSnapshot

SMALL, LARGE = 120, 1200


@pytest.fixture(autouse=True)
def _pinned_today(settings):
    settings.APP_TODAY = AS_OF


def _clear_campaigns() -> None:
    """What refers to the synthetic townships goes first (the generator's --clear keeps PROTECT)."""
    CoverageHistory.objects.all().delete()
    DashboardSnapshot.objects.all().delete()
    ScreeningResult.objects.all().delete()
    ScreeningRun.objects.all().delete()
    Campaign.objects.all().delete()
    # Accounts stay (their audit entries are append-only); they just leave the old townships.
    get_user_model().objects.filter(township__isnull=False).update(township=None)


def registry(households: int) -> list:
    """The synthetic registry at this size (2 townships), one campaign each, all screened."""
    _clear_campaigns()
    call_command(
        "generate_synthetic",
        households=households,
        townships=2,
        clear=True,
        stdout=io.StringIO(),
    )
    campaigns = []
    for township in Township.objects.order_by("code"):
        campaign = CampaignFactory(township=township)
        services.screen_households(campaign=campaign)
        dashboard.refresh_snapshot(campaign=campaign)
        campaigns.append(campaign)
    assert Household.objects.count() == households
    return campaigns


SHOWN: dict = {}  # rows on the page, per (url, params), of the latest count


def queries(client, url: str, params=None, *, rows: str = "") -> int:
    """Queries of one page view; `rows` names the context list that must not be empty."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, (url, params)
    if rows:  # compare like with like: an empty page skips the row queries
        shown = len(response.context[rows])
        assert shown > 0, (url, params)
        SHOWN[(url, tuple(sorted((params or {}).items())))] = shown
    return len(ctx.captured_queries)


def _shown() -> dict:
    shown = dict(SHOWN)
    SHOWN.clear()
    return shown


def _users():
    township = Township.objects.order_by("code").first()
    return {
        "county": UserFactory(role="office", township=None),
        "township": UserFactory(role="office", township=township),
    }


LIST_FILTERS = [
    {},
    {"status": "none", "page": "50"},
    {"status": "dibao"},
    {"priority": "1"},
    {"q": "谭"},
    {"page": "3"},
]


def _list_counts(client_for) -> dict:
    counts = {}
    for role, user in _users().items():
        client = client_for(user)
        client.get("/")  # the session's first write is not the page's
        for params in LIST_FILTERS:
            key = (role, tuple(sorted(params.items())))
            counts[key] = queries(client, reverse("households:list"), params, rows="households")
    return counts


@pytest.mark.django_db
def test_filtered_household_list_queries_do_not_grow_with_households(client_for):
    registry(SMALL)
    small, small_rows = _list_counts(client_for), _shown()
    registry(LARGE)
    assert _list_counts(client_for) == small
    # Some pages hold more rows at the larger size, so a query per row would show.
    large_rows = _shown()
    assert any(large_rows[key] > rows for key, rows in small_rows.items())


@pytest.mark.django_db
def test_household_detail_queries_do_not_grow_with_its_rows(client_for):
    registry(LARGE)
    client = client_for(UserFactory(role="office", township=None))
    client.get("/")
    by_size = {}
    for household in Household.objects.all():
        rows = (
            household.members.count()
            + household.incomes.count()
            + household.assets.count()
            + household.expenses.count()
        )
        by_size.setdefault(rows, household)
    fewest, most = by_size[min(by_size)], by_size[max(by_size)]
    assert max(by_size) >= min(by_size) + 10
    assert queries(client, fewest.get_absolute_url()) == queries(client, most.get_absolute_url())


QUEUE_FILTERS = [{}, {"outcome": "dibao"}, {"page": "2"}, {"sort": "-income"}]


def _queue_counts(client_for) -> dict:
    counts = {}
    for role, user in _users().items():
        client = client_for(user)
        client.get("/")
        for params in QUEUE_FILTERS:
            key = (role, tuple(sorted(params.items())))
            counts[key] = queries(client, reverse("screening:queue"), params, rows="results")
    return counts


@pytest.mark.django_db
def test_queue_queries_do_not_grow_with_verdicts(client_for):
    registry(SMALL)
    small, small_rows = _queue_counts(client_for), _shown()
    registry(LARGE)
    assert _queue_counts(client_for) == small
    large_rows = _shown()
    assert any(large_rows[key] > rows for key, rows in small_rows.items())


def _dashboard_counts(client_for, user) -> tuple[int, int]:
    client = client_for(user)
    client.get("/")
    DashboardSnapshot.objects.all().delete()
    CoverageHistory.objects.all().delete()
    cold = queries(client, reverse("dashboard"))  # computes the figures
    warm = queries(client, reverse("dashboard"))  # reads the snapshot
    return cold, warm


@pytest.mark.django_db
def test_dashboard_queries_do_not_grow_with_households(client_for):
    registry(SMALL)
    small = _dashboard_counts(client_for, _users()["township"])
    registry(LARGE)
    assert _dashboard_counts(client_for, _users()["township"]) == small
    assert small[1] < small[0]


def _screening_counts(campaign) -> tuple[int, int]:
    ScreeningResult.objects.filter(campaign=campaign).delete()
    with CaptureQueriesContext(connection) as full:
        services.screen_households(campaign=campaign, force=True)
    with CaptureQueriesContext(connection) as unchanged:
        run = services.screen_households(campaign=campaign)
    assert run.evaluated_count == 0  # nothing changed: every verdict kept
    return len(full.captured_queries), len(unchanged.captured_queries)


@pytest.mark.django_db
def test_bulk_screening_queries_do_not_grow_with_households():
    small = _screening_counts(registry(SMALL)[0])
    campaign = registry(LARGE)[0]
    assert Household.objects.filter(village__township=campaign.township).count() > 100
    assert _screening_counts(campaign) == small
