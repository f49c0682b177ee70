"""The twelve groups' 已摸排 column is the one 已摸排 state: the survey marked complete.

A screening result alone (the survey not marked complete) is not 已摸排, in the figure or in
the list behind it; marking the survey complete counts the household.
"""

import pytest
from django.utils import timezone

from households.models import Household
from xixin_dibao import dashboard, dashboard_lists

from .conftest import MID_CAMPAIGN
from .factories import household, screened

pytestmark = pytest.mark.django_db


def _figures(campaign, village):
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    return next(row["f"] for row in data["villages"] if row["id"] == village.pk), data["total"]


def _listed(campaign, key, village):
    ids = dashboard_lists.household_ids(campaign, key, MID_CAMPAIGN)
    return set(Household.objects.filter(pk__in=ids, village=village).values_list("pk", flat=True))


@pytest.mark.parametrize("recorded", [False, True], ids=["computed", "recorded-and-computed"])
def test_screened_but_not_surveyed_is_not_counted_until_marked(
    campaign, village_a, today, recorded
):
    h = household(village_a, members=1, groups=[9] if recorded else [])
    screened(h, campaign, "dibao", groups=[9])
    Household.objects.filter(pk=h.pk).update(survey_completed_at=None)  # result, no survey mark

    f, total = _figures(campaign, village_a)
    assert (f["group_9"], f["group_9_screened"]) == (1, 0)
    assert total["group_9_screened"] == 0 and total["screened_total"] == 1
    assert _listed(campaign, "group_9", village_a) == {h.pk}
    assert _listed(campaign, "group_9_screened", village_a) == set()

    Household.objects.filter(pk=h.pk).update(survey_completed_at=timezone.now())
    f, total = _figures(campaign, village_a)
    assert (f["group_9"], f["group_9_screened"]) == (1, 1)
    assert _listed(campaign, "group_9_screened", village_a) == {h.pk}


def test_recorded_group_surveyed_without_a_result_counts(campaign, village_a, today):
    """The survey mark, not a screening result, makes a recorded group member 已摸排."""
    h = household(village_a, members=1, groups=[11])
    f, _ = _figures(campaign, village_a)
    assert (f["group_11"], f["group_11_screened"]) == (1, 0)
    Household.objects.filter(pk=h.pk).update(survey_completed_at=timezone.now())
    f, _ = _figures(campaign, village_a)
    assert (f["group_11"], f["group_11_screened"]) == (1, 1)
    assert _listed(campaign, "group_11_screened", village_a) == {h.pk}


def test_the_table_note_names_the_survey_mark(campaign, village_a, today):
    from xixin_dibao.dashboard_tables import outreach_table

    table = outreach_table(dashboard.compute(campaign, MID_CAMPAIGN))
    assert "标记摸排完成" in table.note and "研判结果" not in table.note.split("；")[1]
