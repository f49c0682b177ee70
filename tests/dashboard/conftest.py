"""A small township whose every dashboard figure was counted by hand (see EXPECTED)."""

from datetime import date

import pytest

from households.models import Application, AssistanceRecord, CampaignBaseline
from tests.factories import MemberFactory
from verification.models import ReviewDecision, ReviewMeeting

from .factories import case, household, screened

MID_CAMPAIGN = date(2022, 11, 10)  # after the 摸排 deadline, before the 核查 cutoff


@pytest.fixture
def today(settings):
    def pin(day):
        settings.APP_TODAY = day
        return day

    pin(MID_CAMPAIGN)
    return pin


@pytest.fixture
def dataset(db, campaign, village_a, village_b, today):
    """Village A = 保合村 (H1–H5), village B = 万寿村 (H6–H11)."""
    a, b = village_a, village_b
    CampaignBaseline.objects.create(
        campaign=campaign, village=a, dibao_households=3, dibao_persons=7
    )
    CampaignBaseline.objects.create(
        campaign=campaign, village=b, dibao_households=3, dibao_persons=5
    )

    # H1 current dibao, 3 people, group 1 computed; case waiting for 核查, fully matched + visited.
    h1 = household(a, members=3, assistance="dibao")
    screened(h1, campaign, "dibao", groups=[1])
    case(h1, campaign, "current_recipient", "pending_verification", visited=True)
    # H2 new candidate: group 3 recorded and computed, 7 computed; reviewed 纳入低保 for 2 people.
    h2 = household(a, members=2, groups=[3])
    screened(h2, campaign, "dibao", groups=[3, 7])
    c2 = case(
        h2, campaign, "new_candidate", "reviewed", visited=True, decision="include_dibao", counted=2
    )
    old = ReviewMeeting.objects.create(
        campaign=campaign, held_on=date(2022, 11, 1), chair="冉瑜", recorder="涂磊"
    )
    ReviewDecision.objects.create(meeting=old, case=c2, decision="reject", is_current=False)
    # H3 group 8 recorded, never screened; a 回头看 case still 待摸排.
    h3 = household(a, members=1, groups=[8])
    case(h3, campaign, "lookback", "pending_screening", matched=0)
    # H4 left dibao in March (income rose): 回头看, screened not eligible, no case.
    h4 = household(a, members=1, ended=("dibao", date(2022, 3, 1), "income_rose"))
    screened(h4, campaign, "not_eligible", lookback=True)
    # H5 current dibao, 2 people, refused the check: 视为自动退出, records still open.
    h5 = household(a, members=2, assistance="dibao")
    case(h5, campaign, "current_recipient", "auto_exit", matched=1)

    # H6 单人户 dibao, maintained and archived.
    h6 = household(b, members=1, assistance="dibao_single")
    case(h6, campaign, "current_recipient", "archived", visited=True, decision="maintain")
    # H7 refused application in 2021: 回头看, group 12 recorded and computed, 纳入边缘, in 公示.
    h7 = household(b, members=1, groups=[12])
    Application.objects.create(
        household=h7, applied_on=date(2021, 8, 1), kind="dibao", outcome="refused"
    )
    screened(h7, campaign, "manual_review", groups=[12], lookback=True)
    case(h7, campaign, "lookback", "in_notice", visited=True, decision="include_marginal")
    # H8 current dibao, 2 people, reviewed 退出, records still open.
    h8 = household(b, members=2, assistance="dibao")
    case(h8, campaign, "current_recipient", "reviewed", visited=True, decision="exit")
    # H9 current dibao; a second member died in June (so 回头看, as the other apps count it);
    # refusal notice delivered, which also means 摸排 is behind it.
    h9 = household(b, members=1, assistance="dibao")
    dead = MemberFactory(household=h9, relation="spouse")
    AssistanceRecord.objects.create(
        member=dead,
        kind="dibao",
        start_date=date(2019, 1, 1),
        end_date=date(2022, 6, 1),
        exit_reason="death",
    )
    h9.people.append(dead)
    case(h9, campaign, "current_recipient", "notice_delivered", matched=0)
    # H10 screened, not eligible, in no group: outside the campaign's scope.
    h10 = household(b, members=1)
    screened(h10, campaign, "not_eligible")
    # H11 current 低保边缘, group 5 computed.
    h11 = household(b, members=1, assistance="marginal")
    screened(h11, campaign, "marginal", groups=[5])
    # Noise that must not count: another campaign's result, a non-current result.
    screened(h10, campaign, "dibao", groups=[1], current=False)
    return {f"h{i}": h for i, h in enumerate([h1, h2, h3, h4, h5, h6, h7, h8, h9, h10, h11], 1)}


# Hand-counted figures at MID_CAMPAIGN. Keys not listed are 0.
EXPECTED_A = {
    "scope_total": 5,
    "scope_current": 2,
    "scope_lookback": 2,
    "scope_groups": 3,
    "outreach_due": 4,
    "outreach_done": 3,
    "outreach_pending": 1,
    "outreach_overdue": 1,
    "screened_total": 3,
    "outcome_dibao": 2,
    "outcome_not_eligible": 1,
    "now_households": 2,
    "now_persons": 5,
    "baseline_households": 3,
    "baseline_persons": 7,
    # From the register (records active on 2021-12-31): H1 3 + H4 1 + H5 2 people; the entered
    # 7 persons differ, so the village is marked.
    "baseline_computed_households": 3,
    "baseline_computed_persons": 6,
    "baseline_mismatch": 1,
    "net_households": -1,
    "net_persons": -2,
    "cases": 4,
    "cases_current_recipient": 2,
    "cases_new_candidate": 1,
    "cases_lookback": 1,
    "datamatch_done": 2,
    "visit_done": 2,
    "verification_open": 2,
    "verification_done": 2,
    "reviewed": 1,
    "auto_exit": 1,
    "decision_include_dibao": 1,
    "entries_persons": 2,
    "entries_pending_households": 1,
    "entries_pending_persons": 2,
    "exits_auto_persons": 2,
    "exits_pending_households": 1,
    "exits_pending_persons": 2,
    "projected_households": 2,
    "projected_persons": 5,
    "exits_registry_households": 1,
    "exits_registry_persons": 1,
    "exits_registry_households_income_rose": 1,
    "exits_registry_persons_income_rose": 1,
    "group_1": 1,
    "group_1_screened": 1,
    "group_3": 1,
    "group_3_screened": 1,
    "group_7": 1,
    "group_7_screened": 1,
    "group_8": 1,
}
EXPECTED_B = {
    # H9 counts as 回头看 (a member's dibao ended since 2021), like screening and verification.
    "scope_total": 5,
    "scope_current": 4,
    "scope_lookback": 2,
    "scope_groups": 2,
    "outreach_due": 3,
    "outreach_done": 3,
    "screened_total": 3,
    "outcome_marginal": 1,
    "outcome_not_eligible": 1,
    "outcome_manual_review": 1,
    "now_households": 3,
    "now_persons": 4,
    "baseline_households": 3,
    "baseline_persons": 5,
    # H6 1 + H8 2 + H9 2 (the spouse who died in 2022 was covered at end-2021): agrees.
    "baseline_computed_households": 3,
    "baseline_computed_persons": 5,
    "net_persons": -1,
    "cases": 4,
    "cases_current_recipient": 3,
    "cases_lookback": 1,
    "datamatch_done": 3,
    "visit_done": 3,
    "verification_done": 4,
    "reviewed": 3,
    "noticed": 2,
    "archived": 1,
    "refusal": 1,
    "decision_maintain": 1,
    "decision_include_marginal": 1,
    "decision_exit": 1,
    "exits_review_persons": 2,
    "exits_pending_households": 1,
    "exits_pending_persons": 2,
    "projected_households": 2,
    "projected_persons": 2,
    "exits_registry_persons": 1,
    "exits_registry_persons_death": 1,
    "group_5": 1,
    "group_5_screened": 1,
    "group_12": 1,
    "group_12_screened": 1,
}
