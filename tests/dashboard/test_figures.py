"""Every dashboard figure against a hand-counted township (tests/dashboard/conftest.py)."""

import pytest

from xixin_dibao import dashboard

from .conftest import EXPECTED_A, EXPECTED_B, MID_CAMPAIGN

pytestmark = pytest.mark.django_db


def expected(partial: dict) -> dict:
    full = dict.fromkeys(dashboard.figure_keys(), 0)
    full.update(partial)
    return full


def public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if not k.startswith("_")}


def test_every_village_figure_matches_the_hand_count(dataset, campaign, village_a, village_b):
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    rows = {row["id"]: row["f"] for row in data["villages"]}
    assert public(rows[village_a.pk]) == public(expected(EXPECTED_A))
    assert public(rows[village_b.pk]) == public(expected(EXPECTED_B))


def test_total_is_the_sum_of_the_villages(dataset, campaign):
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    total = expected({})
    for part in (EXPECTED_A, EXPECTED_B):
        for key, value in part.items():
            total[key] += value
    assert public(data["total"]) == public(total)
    assert data["total"]["scope_total"] == 10
