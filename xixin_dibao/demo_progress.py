"""Bring the demo township to where a real one would be on 2022-11-10, mid-campaign.

Outreach is done in four villages and lagging in 五坪村; data matches and home visits are under
way; one household refused the check and its receipt is not back yet. Everything goes through
the same services staff use, so the demo shows real verdicts, cases and dashboard figures.
"""

import io
from datetime import date

from django.core.files.base import ContentFile

from households.models import Campaign, Household
from households.survey import mark_survey_complete
from screening.services import screen_households
from verification.models import DataMatchResult, HomeVisit, Refusal
from verification.scans import store_scan
from verification.services import ensure_cases, transition
from verification.services.refusals import notice_number, record_delivery, record_refusal
from verification.states import State
from xixin_dibao.dashboard import refresh_snapshot

LAGGING_VILLAGE = "500240214204"  # 五坪村: half its households not yet surveyed
VISITED_VILLAGES = ("500240214201", "500240214202")  # 保合村, 万寿村: verification well along


def _blank_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def demo_scan():
    """One stored blank scan that the demo's home visits share."""
    return store_scan(ContentFile(_blank_pdf(), name="入户调查表.pdf"))


def record_demo_verification(*, case, scan, actor, visit: bool = True) -> None:
    """The county's data-match results for every co-resident member and, if `visit`, a home visit
    with the signed form's scan: what the demo's verified households have on file."""
    members = [m for m in case.household.members.all() if m.co_resident]
    DataMatchResult.objects.bulk_create(
        DataMatchResult(case=case, member=m, matched_on=date(2022, 11, 8), origin="import")
        for m in members
    )
    if visit:
        HomeVisit.objects.create(
            case=case,
            visited_on=date(2022, 11, 9),
            investigators=["王静", "涂磊"],
            members_finding="家庭成员与登记一致。",
            employment_income_finding="务农为主。",
            property_finding="自建房一处，无车辆。",
            spending_finding="日常开支节俭。",
            scan_path=scan.path,
            scan_pages=scan.pages,
            recorded_by=actor,
        )


def simulate(*, actor) -> str:
    """Screen, open cases and record some verification work; return a one-line summary."""
    campaign = Campaign.objects.current()
    lagging = list(
        Household.objects.filter(village__code=LAGGING_VILLAGE)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    skip = set(lagging[: len(lagging) // 2])
    screened = [pk for pk in Household.objects.values_list("pk", flat=True) if pk not in skip]
    screen_households(campaign=campaign, household_ids=screened, actor=actor)
    for household in Household.objects.filter(pk__in=screened):
        mark_survey_complete(household=household, actor=actor)
    opened = ensure_cases(campaign=campaign, actor=actor)
    scan = demo_scan()
    visited = 0
    cases = (
        campaign.case_set.filter(state=State.PENDING_VERIFICATION)
        .select_related("household__village")
        .order_by("household__code")
    )
    for case in cases:
        if case.household.village.code not in VISITED_VILLAGES:
            continue
        visit = visited < 6
        record_demo_verification(case=case, scan=scan, actor=actor, visit=visit)
        if visit:
            visited += 1
            if visited <= 3:
                transition(
                    case=case,
                    to_state=State.PENDING_REVIEW,
                    actor=actor,
                    reason="核查完成，提交审核",
                )
    refused = campaign.case_set.filter(
        state=State.PENDING_VERIFICATION, household__village__code="500240214205"
    ).first()
    if refused is not None:
        refusal = record_refusal(
            case=refused,
            actor=actor,
            refused_on=date(2022, 11, 5),
            details="户主拒绝签署《家庭经济状况核查授权书》",
        )
        notice_number(refusal)
        refused.refresh_from_db()
        record_delivery(
            case=refused,
            actor=actor,
            delivered_on=date(2022, 11, 7),
            delivered_by="白果村专干",
            method=Refusal.DeliveryMethod.IN_PERSON,
        )
    refresh_snapshot(campaign=campaign)
    return f"研判 {len(screened)} 户，新建案件 {opened} 户，入户调查 {visited} 户。"
