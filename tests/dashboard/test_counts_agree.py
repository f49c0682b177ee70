"""One current campaign, one 应摸排 / 已摸排 / 回头看 (issue 18 point 6).

The dashboard (xixin_dibao.dashboard), its 通报 (xixin_dibao.bulletin) and the deadline checks'
figures and 通报 (verification.services.deadlines) count the same households per village and
in total; and screening, verification, the dashboard and the deadline job find the same current
campaign, also when a township has two active ones.
"""

from datetime import date

import pytest
from django.utils import timezone

from households.models import Application, Campaign, Household
from screening import services as screening
from tests.factories import CampaignFactory
from verification.models import Bulletin
from verification.services import deadlines
from xixin_dibao import bulletin, dashboard, dashboard_views

from .conftest import MID_CAMPAIGN
from .factories import case, household, screened

pytestmark = pytest.mark.django_db


@pytest.fixture
def township(dataset, campaign, village_a, village_b):
    """The hand-counted township, plus households where the old definitions disagreed."""
    # Group computed by the screening, survey not marked complete: 应摸排, not 已摸排.
    computed = household(village_a, members=1)
    screened(computed, campaign, "not_eligible", groups=[2])
    Household.objects.filter(pk=computed.pk).update(survey_completed_at=None)
    # A recorded group on a current recipient whose case is past 待摸排, survey not marked.
    recipient = household(village_b, members=1, assistance="dibao", groups=[11])
    case(recipient, campaign, "current_recipient", "pending_verification")
    Household.objects.filter(pk=recipient.pk).update(survey_completed_at=None)
    # 回头看 from the register (refused in 2022) with no case yet, not surveyed.
    refused = household(village_b, members=1)
    Application.objects.create(
        household=refused, applied_on=date(2022, 3, 1), kind="dibao", outcome="refused"
    )
    # 回头看 and surveyed (counted 已摸排).
    lookback_done = household(village_a, members=1)
    Application.objects.create(
        household=lookback_done, applied_on=date(2021, 5, 1), kind="marginal", outcome="refused"
    )
    Household.objects.filter(pk=lookback_done.pk).update(survey_completed_at=timezone.now())
    # Withdrawn (registered by mistake): counted nowhere.
    gone = household(village_a, members=1, groups=[8])
    Household.all_objects.filter(pk=gone.pk).update(withdrawn_at=timezone.now())
    return {"computed": computed, "recipient": recipient, "refused": refused}


def dashboard_counts(campaign, today) -> dict:
    data = dashboard.compute(campaign, today)
    keys = ("outreach_due", "outreach_done", "outreach_pending", "scope_lookback")
    counts = {row["id"]: tuple(row["f"][k] for k in keys) for row in data["villages"]}
    counts[None] = tuple(data["total"][k] for k in keys)
    return counts


def deadline_counts(figures: list[dict]) -> dict:
    keys = ("total", "screened", "unscreened", "lookback")
    counts = {f["village_id"]: tuple(f[k] for k in keys) for f in figures}
    counts[None] = tuple(sum(f[k] for f in figures) for k in keys)
    return counts


def test_dashboard_and_deadline_figures_agree_per_village_and_in_total(
    township, campaign, village_a, village_b, today
):
    shown = dashboard_counts(campaign, MID_CAMPAIGN)
    assert deadline_counts(deadlines.village_figures(campaign, MID_CAMPAIGN)) == shown
    # Hand-checked: A = H1 H2 H3 H4 + computed + lookback_done (done: H1 H2 H4 lookback_done);
    # B = H7 H9 H11 + recipient + refused (done: H7 H9 H11). 回头看: A H3 H4 lookback_done,
    # B H7 H9 refused.
    assert shown[village_a.pk] == (6, 4, 2, 3)
    assert shown[village_b.pk] == (5, 3, 2, 3)
    unscreened = set(deadlines.unscreened_households(campaign, MID_CAMPAIGN))
    assert len(unscreened) == shown[None][2] == 4

    # The deadline job (cases opened, 通报 drafted) and the dashboard's 通报, after it.
    deadlines.enforce_campaign_deadlines(campaign=campaign, today=MID_CAMPAIGN)
    shown = dashboard_counts(campaign, MID_CAMPAIGN)
    draft = Bulletin.objects.get(campaign=campaign)
    assert deadline_counts(draft.figures) == shown
    due, done, _, _ = shown[None]
    assert f"全乡应摸排{due}户，已完成{done}户" in draft.body
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    village_ids = {v["name"]: v["id"] for v in data["villages"]}
    for row in bulletin.bulletin_context(data, MID_CAMPAIGN)["rows"]:
        f = row["f"]
        key = None if row["total"] else village_ids[row["name"]]
        keys = ("outreach_due", "outreach_done", "outreach_pending", "scope_lookback")
        assert tuple(f[k] for k in keys) == shown[key]


def test_marking_the_survey_moves_both_figures_together(township, campaign, village_b, today):
    refused = township["refused"]
    before = dashboard_counts(campaign, MID_CAMPAIGN)[village_b.pk]
    Household.objects.filter(pk=refused.pk).update(survey_completed_at=timezone.now())
    after = dashboard_counts(campaign, MID_CAMPAIGN)[village_b.pk]
    assert after == (before[0], before[1] + 1, before[2] - 1, before[3])
    figures = deadlines.village_figures(campaign, MID_CAMPAIGN)
    assert deadline_counts(figures)[village_b.pk] == after


# ---- one current campaign ------------------------------------------------------------------


def lookups(campaign, office_user, household_obj) -> dict:
    """The current campaign as each part of the app finds it."""
    from verification.views.common import current_campaign

    dashboard_campaigns = list(dashboard_views._campaigns_for(office_user))
    return {
        "manager": Campaign.objects.current(township_id=campaign.township_id),
        "screening": screening.campaign_for_household(household_obj),
        "verification": current_campaign(office_user),
        "dashboard": dashboard_campaigns[0] if len(dashboard_campaigns) == 1 else None,
        "deadlines": [r.campaign for r in deadlines.enforce_deadlines(today=MID_CAMPAIGN)],
        "rescreen": [r.campaign_id for r in screening.rescreen(household_ids=[household_obj.pk])],
    }


@pytest.mark.parametrize("second", ["older", "newer"])
def test_two_active_campaigns_in_a_township_resolve_to_one_everywhere(
    second, campaign, village_a, office_user, today
):
    office_user.township = campaign.township
    office_user.save()
    h = household(village_a, members=1)
    other = CampaignFactory(
        township=campaign.township,
        name=f"{second}方案",
        year=2021 if second == "older" else 2022,  # same year, created later: newer
    )
    current = campaign if second == "older" else other
    assert list(Campaign.objects.current_campaigns()) == [current]
    found = lookups(campaign, office_user, h)
    assert found == {
        "manager": current,
        "screening": current,
        "verification": current,
        "dashboard": current,
        "deadlines": [current.name],
        "rescreen": [current.pk],
    }


def test_the_admin_says_which_of_two_active_campaigns_counts(db):
    from django.forms import modelform_factory

    from households.admin import CampaignForm

    form = modelform_factory(Campaign, form=CampaignForm, fields="__all__")()
    assert "以年度最新（同一年度取最后建立）的为准" in form.fields["is_active"].help_text


@pytest.mark.django_db
def test_the_lookback_list_and_the_dashboard_count_the_same_households(
    campaign, village_a, village_b, settings
):
    """回头看 from the register only (exits and refusals since the look-back date), screened:
    the 回头看 list page's query and the dashboard's 回头看 figure name the same households."""
    settings.APP_TODAY = MID_CAMPAIGN
    since = campaign.lookback_since
    left = household(village_a, ended=("dibao", date(2022, 3, 1), "income_increase"))
    old_exit = household(village_a, ended=("dibao", since.replace(year=since.year - 1), "death"))
    refused = household(village_b)
    Application.objects.create(
        household=refused, applied_on=date(2022, 4, 1), kind="dibao", outcome="refused"
    )
    withdrawn = household(village_b)
    Application.objects.create(
        household=withdrawn, applied_on=date(2022, 4, 1), kind="dibao", outcome="withdrawn"
    )
    household(village_b, groups=[8])  # a priority group, not 回头看
    screening.screen_households(campaign=campaign)

    listed = set(screening.lookback_households(campaign).values_list("pk", flat=True))
    assert listed == {left.pk, refused.pk}  # not the exit before the look-back date
    data = dashboard.compute(campaign, MID_CAMPAIGN)
    per_village = {v["id"]: v["f"]["scope_lookback"] for v in data["villages"]}
    assert per_village[village_a.pk] == 1 and per_village[village_b.pk] == 1
    assert data["total"]["scope_lookback"] == len(listed) and old_exit.pk not in listed
