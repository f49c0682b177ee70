"""Every dashboard figure against a hand-counted township (tests/dashboard/conftest.py)."""

from datetime import date

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


def test_before_the_outreach_deadline_nothing_is_overdue(dataset, campaign):
    data = dashboard.compute(campaign, date(2022, 11, 2))  # the deadline day itself still counts
    assert data["total"]["outreach_pending"] == 1
    assert data["total"]["outreach_overdue"] == 0
    assert data["total"]["verification_overdue"] == 0


def test_after_the_cutoff_open_cases_are_overdue(dataset, campaign, village_a):
    data = dashboard.compute(campaign, date(2022, 11, 22))
    rows = {row["id"]: row["f"] for row in data["villages"]}
    assert rows[village_a.pk]["verification_overdue"] == 2
    assert data["total"]["outreach_overdue"] == 1
    assert data["total"]["verification_overdue"] == 2


def test_lookback_and_exits_only_count_up_to_today(dataset, campaign):
    data = dashboard.compute(campaign, date(2022, 2, 1))  # before H4 left and H9's member died
    total = data["total"]
    assert total["exits_registry_persons"] == 0
    # H3 (case source), H4 (its stored screening result says 回头看), H7 (refused application);
    # H9's member had not died yet.
    assert total["scope_lookback"] == 3


def test_exit_with_no_reason_is_counted_as_such(dataset, campaign):
    from households.models import AssistanceRecord

    AssistanceRecord.objects.filter(exit_reason="income_rose").update(exit_reason="")
    total = dashboard.compute(campaign, MID_CAMPAIGN)["total"]
    assert total["exits_registry_households_none"] == 1
    assert total["exits_registry_persons_none"] == 1
    assert total["exits_registry_persons_income_rose"] == 0


def test_villages_without_data_show_zeros_and_keep_their_order(db, campaign):
    from tests.factories import VillageFactory

    VillageFactory(code="500240214205", name="白果村")
    VillageFactory(code="500240214203", name="丰田村")
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    assert [v["name"] for v in data["villages"]] == ["丰田村", "白果村"]
    assert all(v == 0 for v in public(data["total"]).values())


def test_a_new_candidate_without_a_group_is_in_the_outreach_scope(dataset, campaign, village_b):
    from .factories import case, household, screened

    h = household(village_b, members=1)
    screened(h, campaign, "dibao")  # no computed group
    case(h, campaign, "new_candidate", "pending_verification", matched=0)
    total = dashboard.compute(campaign, MID_CAMPAIGN)["total"]
    assert total["outreach_due"] == 8 and total["outreach_done"] == 7
    assert total["scope_total"] == 11 and total["cases_new_candidate"] == 2
