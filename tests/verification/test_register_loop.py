"""Approvals write the register, and everything downstream reads it (issue 16 points 3, 4, 6).

The scenario test runs the whole loop through the services a township uses: import a caseload,
screen, verify, hold the meeting, post the 公示, record the county confirmation. CI runs it on
PostgreSQL (the set-based screening path); it runs on SQLite too.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from archives.rosters import write_roster
from households.importing import import_households_file
from households.importing.roster import ROSTER, build_roster_template, import_roster_file
from households.models import AssistanceRecord, Campaign, Household, Village
from households.survey import mark_survey_complete
from screening.models import ScreeningResult
from screening.services import lookback_households, screen_households
from tests.households.factories import id_for, member, xlsx_bytes
from tests.verification.factories import (
    DecisionFactory,
    MeetingFactory,
    complete_verification,
    make_case,
)
from verification.models import Case, CountyConfirmation, ReviewDecision
from verification.services import (
    CaseError,
    build_agenda,
    create_meeting,
    create_public_notice,
    decide_case,
    ensure_cases,
    report_notice,
    transition,
)
from verification.services.confirmation import (
    confirm_cases,
    confirmable_cases,
    effective_date,
    reverse_confirmation,
)
from verification.states import State
from xixin_dibao import dashboard

pytestmark = pytest.mark.django_db
D = ReviewDecision.Decision


def pin(settings, day: date) -> date:
    settings.APP_TODAY = day
    return day


# ---- the confirmation service ---------------------------------------------------------------


@pytest.fixture
def reported(campaign, village_a, office_user):
    """A case decided 纳入低保 (2 people, 300 元) and reported to the county."""
    case = make_case(village_a, campaign, state=State.REPORTED)
    meeting = MeetingFactory(campaign=campaign, held_on=date(2022, 11, 23))
    DecisionFactory(
        meeting=meeting,
        case=case,
        decision=D.INCLUDE_DIBAO,
        monthly_amount=Decimal("300.00"),
        counted_members=2,
        decided_at=meeting_time(),
    )
    return case


def meeting_time():
    from django.utils import timezone

    return timezone.now()


def test_confirming_an_inclusion_opens_dibao_for_each_member_from_the_campaign_date(
    settings, reported, office_user
):
    pin(settings, date(2022, 12, 10))
    (confirmation,) = confirm_cases(
        actor=office_user,
        cases=[reported],
        confirmed_on=date(2022, 12, 8),
        document_number="石民审〔2022〕88号",
    )
    records = AssistanceRecord.objects.filter(member__household=reported.household)
    assert records.count() == 2
    assert {(r.kind, r.start_date, r.monthly_amount, r.people_covered) for r in records} == {
        ("dibao", date(2023, 1, 1), Decimal("150.00"), 2)  # 次月1日; each person's share
    }
    assert set(records.values_list("campaign", flat=True)) == {reported.campaign_id}
    assert confirmation.effects["opened"] == sorted(records.values_list("pk", flat=True))
    reported.household.refresh_from_db()
    assert reported.household.assistance_now == ",dibao,"
    with pytest.raises(CaseError, match="已登记县级确认"):
        confirm_cases(
            actor=office_user,
            cases=[reported],
            confirmed_on=date(2022, 12, 8),
            document_number="重复",
        )


def test_the_shares_add_up_to_the_decided_household_amount(settings, reported, office_user):
    pin(settings, date(2022, 12, 10))

    def confirmed_shares(amount: str, number: str) -> list[Decimal]:
        ReviewDecision.objects.filter(case=reported).update(monthly_amount=Decimal(amount))
        confirm_cases(
            actor=office_user,
            cases=[reported],
            confirmed_on=date(2022, 12, 8),
            document_number=number,
        )
        records = AssistanceRecord.objects.filter(member__household=reported.household)
        return sorted(records.values_list("monthly_amount", flat=True))

    assert confirmed_shares("793", "8号") == [Decimal("396.50"), Decimal("396.50")]
    (confirmation,) = CountyConfirmation.objects.filter(case=reported)
    reverse_confirmation(actor=office_user, confirmation=confirmation, reason="金额登记错误")
    # 792.97, not 2 × 396.49 = 792.98
    assert confirmed_shares("792.97", "9号") == [Decimal("396.48"), Decimal("396.49")]


def test_a_confirmed_maintain_gives_the_members_their_shares_of_the_new_amount(
    settings, campaign, village_a, office_user
):
    pin(settings, date(2022, 12, 10))
    case = make_case(village_a, campaign, state=State.REPORTED, members=3)
    for m in case.household.members.all():
        AssistanceRecord.objects.create(
            member=m, kind="dibao", start_date=date(2019, 1, 1), monthly_amount=Decimal("100")
        )
    DecisionFactory(
        meeting=MeetingFactory(campaign=campaign, held_on=date(2022, 11, 23)),
        case=case,
        decision=D.MAINTAIN,
        monthly_amount=Decimal("793"),
        counted_members=3,
        decided_at=meeting_time(),
    )
    (confirmation,) = confirm_cases(
        actor=office_user, cases=[case], confirmed_on=date(2022, 12, 8), document_number="7号"
    )
    records = AssistanceRecord.objects.filter(member__household=case.household)
    assert sorted(records.values_list("monthly_amount", "people_covered", "end_date")) == [
        (Decimal("264.33"), 3, None),
        (Decimal("264.33"), 3, None),
        (Decimal("264.34"), 3, None),
    ]  # the same spells go on; the shares add up to the 793 decided and posted
    assert records.count() == 3
    reverse_confirmation(actor=office_user, confirmation=confirmation, reason="确认登记错误")
    assert set(records.values_list("monthly_amount", "people_covered")) == {(Decimal("100"), None)}


def test_the_start_rule_is_a_campaign_setting(campaign):
    assert effective_date(campaign, date(2022, 12, 31)) == date(2023, 1, 1)
    campaign.register_start = "confirmation"
    assert effective_date(campaign, date(2022, 12, 8)) == date(2022, 12, 8)


def test_exit_and_auto_exit_end_the_current_records_and_a_reversal_restores_them(
    settings, campaign, village_a, office_user
):
    pin(settings, date(2022, 12, 10))
    leaving = make_case(village_a, campaign, state=State.REPORTED)
    refusing = make_case(village_a, campaign, state=State.AUTO_EXIT)
    for case in (leaving, refusing):
        for m in case.household.members.all():
            AssistanceRecord.objects.create(member=m, kind="dibao", start_date=date(2019, 1, 1))
    meeting = MeetingFactory(campaign=campaign, held_on=date(2022, 11, 23))
    DecisionFactory(meeting=meeting, case=leaving, decision=D.EXIT, decided_at=meeting_time())
    campaign.register_start = "confirmation"
    campaign.save()
    done = confirm_cases(
        actor=office_user,
        cases=[leaving, refusing],
        confirmed_on=date(2022, 12, 9),
        document_number="石民审〔2022〕90号",
        exit_reason=AssistanceRecord.ExitReason.INCOME_ROSE,
    )
    assert len(done) == 2
    ended = AssistanceRecord.objects.filter(end_date=date(2022, 12, 9))
    assert set(ended.values_list("member__household", "exit_reason")) == {
        (leaving.household_id, "income_rose"),
        (refusing.household_id, "refused_check"),
    }
    assert not AssistanceRecord.objects.filter(end_date__isnull=True).exists()
    with pytest.raises(CaseError, match="撤销理由"):
        reverse_confirmation(actor=office_user, confirmation=done[0], reason="")
    reverse_confirmation(
        actor=office_user, confirmation=done[0], reason="文号登记错误，县局尚未确认"
    )
    kept = CountyConfirmation.objects.get(pk=done[0].pk)
    assert kept.reversed_at is not None and kept.reversal_reason.startswith("文号登记错误")
    reopened = AssistanceRecord.objects.filter(member__household=done[0].case.household)
    assert set(reopened.values_list("end_date", "exit_reason")) == {(None, "")}
    assert done[0].case in confirmable_cases(campaign)  # can be confirmed again, correctly


def test_village_officers_cannot_record_a_confirmation(settings, reported, officer_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        confirm_cases(
            actor=officer_a, cases=[reported], confirmed_on=date(2022, 11, 30), document_number="x"
        )


def test_the_confirmation_page_records_several_households_at_once(
    settings, client_for, reported, campaign, village_a, office_user
):
    from django.urls import reverse

    pin(settings, date(2022, 12, 10))
    other = make_case(village_a, campaign, state=State.REPORTED)
    DecisionFactory(
        meeting=MeetingFactory(campaign=campaign, held_on=date(2022, 11, 23)),
        case=other,
        decision=D.INCLUDE_MARGINAL,
        decided_at=meeting_time(),
    )
    client = client_for(office_user)
    url = reverse("verification:confirmation_list")
    page = client.get(url).content.decode()
    assert reported.household.head_name in page and "纳入低保边缘" in page
    bad = client.post(
        url, {"cases": [reported.pk], "confirmed_on": "2022-12-08", "document_number": ""}
    )
    assert "请填写" in bad.content.decode() or "这个字段是必填项" in bad.content.decode()
    response = client.post(
        url,
        {
            "cases": [reported.pk, other.pk],
            "confirmed_on": "2022-12-08",
            "document_number": "石民审〔2022〕88号",
            "exit_reason": "income_rose",
        },
    )
    assert response.status_code == 302
    assert CountyConfirmation.objects.count() == 2
    kinds = set(
        AssistanceRecord.objects.filter(member__household=other.household).values_list(
            "kind", flat=True
        )
    )
    assert kinds == {"marginal"}


# ---- the whole loop on a township's own data ------------------------------------------------


def roster_row(village, head_name, head_id, name, id_number, relation, kind, start, amount, n):
    values = {
        "村": village,
        "户主姓名": head_name,
        "户主身份证号": head_id,
        "姓名": name,
        "身份证号": id_number,
        "与户主关系": relation,
        "救助类别": kind,
        "起始日期": start,
        "月保障金": amount,
        "保障人数": n,
    }
    return [values.get(c.header) for c in ROSTER.columns]


def roster_new(user) -> set[str]:
    out = io.BytesIO()
    write_roster(out, user=user, kind="new")
    ws = load_workbook(io.BytesIO(out.getvalue())).active
    return {row[4] for row in ws.iter_rows(min_row=5, values_only=True) if isinstance(row[0], int)}


def test_caseload_in_approvals_out_the_register_closes_the_loop(settings, office_user):
    call_command("loaddata", "fixtures/reference.json", verbosity=0)
    campaign = Campaign.objects.get(pk=1)
    office_user.township_id = campaign.township_id
    office_user.save()
    baohe = Village.objects.get(name="保合村")
    pin(settings, date(2022, 10, 28))

    # 1. The caseload: two current 低保 households from the county roster, a 2021 exit and a
    #    2022 refusal in the household import's register sheets, and two new candidates.
    roster = build_roster_template(
        [
            roster_row("保合村", "甲一", id_for(101), "甲一", id_for(101), "户主", "低保（整户）", "2019-05-01", 400, 1),
            roster_row("保合村", "乙一", id_for(102), "乙一", id_for(102), "户主", "低保（整户）", "2018-03-01", 350, 1),
        ]
    )  # fmt: skip
    assert import_roster_file(actor=office_user, fileobj=io.BytesIO(roster)).ok
    sheets = {
        "家庭成员": [
            member("500240214201-X-EXIT", "丙一", id_for(103), 村="保合村"),
            member("500240214201-X-REF", "丁一", id_for(104), 村="保合村"),
            member("500240214201-X-NEW1", "戊一", id_for(105), 村="保合村", 劳动能力="无劳动能力"),
            member("500240214201-X-NEW2", "己一", id_for(106), 村="保合村", 劳动能力="无劳动能力"),
        ],
        "救助记录": [
            {"户编号": "500240214201-X-EXIT", "成员姓名": "丙一", "类别": "低保（整户）", "起始日期": "2016-01-01",
             "终止日期": "2021-08-01", "退出原因": "收入增加"},
        ],
        "申请记录": [
            {"户编号": "500240214201-X-REF", "申请类别": "低保（整户）", "申请日期": "2022-03-01", "结果": "未通过",
             "决定日期": "2022-04-01", "原因": "收入超过标准"},
        ],
        "收入": [
            {"户编号": "500240214201-X-NEW1", "收入类型": "其他收入", "金额": 1200},
            {"户编号": "500240214201-X-NEW2", "收入类型": "其他收入", "金额": 2400},
        ],
    }  # fmt: skip
    result = import_households_file(actor=office_user, fileobj=io.BytesIO(xlsx_bytes(sheets)))
    assert result.ok, [str(e) for e in result.errors]
    exit_hh, refused_hh, new1, new2 = (
        Household.objects.get(code=c)
        for c in (
            "500240214201-X-EXIT",
            "500240214201-X-REF",
            "500240214201-X-NEW1",
            "500240214201-X-NEW2",
        )
    )
    current_a = Household.objects.get(head_name="甲一")

    # 2. 回头看 finds the exit and the refusal; screening agrees.
    lookback = set(lookback_households(campaign).values_list("pk", flat=True))
    assert lookback == {exit_hh.pk, refused_hh.pk}
    screen_households(campaign=campaign)
    results = {r.household_id: r for r in ScreeningResult.objects.filter(is_current=True)}
    assert results[exit_hh.pk].lookback and results[refused_hh.pk].lookback
    assert results[new1.pk].outcome == "dibao" and results[new2.pk].outcome == "dibao"
    before = dashboard.compute(campaign, date(2022, 10, 28))["total"]
    assert (before["now_households"], before["now_persons"]) == (2, 2)

    # 3. Outreach done (摸排完成), verification, meeting, 公示, report, confirmation.
    for household in (new1, new2, current_a):
        mark_survey_complete(household=household, actor=office_user)
    ensure_cases(campaign=campaign)
    cases = {c.household_id: c for c in Case.objects.filter(campaign=campaign)}
    chosen = [cases[h.pk] for h in (new1, new2, current_a)]
    for case in chosen:
        if case.state == State.PENDING_SCREENING:
            transition(
                case=case, to_state=State.PENDING_VERIFICATION, actor=office_user, reason="摸排完成"
            )
            case.refresh_from_db()
        complete_verification(case)
        transition(case=case, to_state=State.PENDING_REVIEW, actor=office_user, reason="核查完成")
    pin(settings, date(2022, 11, 23))
    meeting = create_meeting(
        campaign=campaign,
        actor=office_user,
        held_on=date(2022, 11, 23),
        chair="冉瑜",
        attendees=["冉瑜", "王静", "涂磊"],
        recorder="涂磊",
    )
    build_agenda(meeting=meeting)
    items = {i.case.household_id: i for i in meeting.items.select_related("case")}
    decide_case(
        item=items[new1.pk],
        actor=office_user,
        decision=D.INCLUDE_DIBAO,
        reasons="收入低于标准，入户属实",
    )
    decide_case(
        item=items[new2.pk],
        actor=office_user,
        decision=D.INCLUDE_DIBAO,
        reasons="收入低于标准，入户属实",
    )
    decide_case(
        item=items[current_a.pk], actor=office_user, decision=D.EXIT, reasons="家庭收入已超过标准"
    )
    notice = create_public_notice(
        campaign=campaign, village=baohe, start_date=date(2022, 11, 23), actor=office_user
    )
    exit_case = Case.objects.get(pk=cases[current_a.pk].pk)
    transition(
        case=exit_case, to_state=State.REPORTED, actor=office_user, reason="不符合条件，已告知"
    )
    pin(settings, date(2022, 12, 1))
    assert report_notice(notice=notice, actor=office_user) == 2
    confirm_cases(
        actor=office_user,
        cases=list(confirmable_cases(campaign)),
        confirmed_on=date(2022, 12, 1),
        document_number="石民审〔2022〕101号",
    )  # fmt: skip

    # 4. The roster holds the new households with their amounts; coverage moved by +2 − 1.
    for household in (new1, new2):
        record = AssistanceRecord.objects.get(member__household=household)
        decision = items[household.pk]
        decision.refresh_from_db()
        assert record.monthly_amount == decision.monthly_amount > 0  # one person: share = all
        assert record.start_date == date(2023, 1, 1)
    assert roster_new(office_user) == {"戊一", "己一"}
    after = dashboard.compute(campaign, date(2022, 12, 1))["total"]
    assert after["now_households"] - before["now_households"] == 2 - 1
    assert set(lookback_households(campaign).values_list("pk", flat=True)) >= {
        exit_hh.pk,
        refused_hh.pk,
    }
