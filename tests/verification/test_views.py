"""Pages end to end with the Django test client, permissions, and query-count guards."""

import io
import re
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import (
    AssistanceFactory,
    CampaignFactory,
    HouseholdFactory,
    MemberFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
)
from tests.verification.factories import (
    DecisionFactory,
    HomeVisitFactory,
    MeetingFactory,
    complete_verification,
    make_case,
    pdf_bytes,
    refusal_for,
)
from verification import datamatch_format as fmt
from verification.models import Case, DataMatchResult, HomeVisit, PublicNotice, ReviewDecision
from verification.services import enforce_deadlines
from verification.states import State

pytestmark = pytest.mark.django_db
ID_PATTERN = re.compile(r"\d{17}[\dXx]")


def url(name, *args):
    return reverse(f"verification:{name}", args=args)


def current_recipient(village, members=2):
    household = HouseholdFactory(village=village, address="保合村5组12号")
    people = [
        MemberFactory(household=household, relation="head" if i == 0 else "spouse")
        for i in range(members)
    ]
    household.head_name = people[0].name
    household.save()
    AssistanceFactory(member=people[0], kind="dibao")
    return household, people


def scan_upload(name="调查表.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(1), "application/pdf")


def test_director_runs_a_case_from_sync_to_archive(
    client_for, campaign, village_a, officer_a, office_user, today
):
    today(date(2022, 11, 10))
    household, (head, spouse) = current_recipient(village_a)
    office, officer = client_for(office_user), client_for(officer_a)

    response = office.post(url("case_sync"), follow=True)
    assert "新建案件 1 户" in response.content.decode()
    case = Case.objects.get(household=household)
    assert case.state == State.PENDING_VERIFICATION

    page = officer.get(url("case_detail", case.pk)).content.decode()
    assert "以下共同生活家庭成员还没有信息比对结果" in page and head.name in page
    assert head.id_number not in page  # masked

    form = officer.get(url("data_match_entry", case.pk))
    assert form.status_code == 200
    data = {"rows-TOTAL_FORMS": "2", "rows-INITIAL_FORMS": "2", "version": str(case.version)}
    for i, m in enumerate((head, spouse)):
        data.update(
            {
                f"rows-{i}-member_id": m.pk,
                f"rows-{i}-matched_on": "2022-11-08",
                f"rows-{i}-vehicles": "1" if i == 0 else "0",
                f"rows-{i}-deposits": "0",
                f"rows-{i}-pension_monthly": "0",
                f"rows-{i}-houses": "0",
            }
        )
    response = officer.post(url("data_match_entry", case.pk), data, follow=True)
    assert "已保存 2 名成员的信息比对结果" in response.content.decode()
    assert "未申报车辆" in response.content.decode()
    assert DataMatchResult.objects.filter(case=case).count() == 2

    case.refresh_from_db()
    response = officer.post(
        url("home_visit_create", case.pk),
        {
            "version": case.version,
            "visited_on": "2022-11-09",
            "investigators": "王静、涂磊",
            "members_finding": "两口人",
            "employment_income_finding": "务农",
            "property_finding": "自建房",
            "spending_finding": "节俭",
            "scan": scan_upload(),
        },
        follow=True,
    )
    assert "已保存入户调查记录" in response.content.decode()
    visit = HomeVisit.objects.get(case=case)
    scan = officer.get(url("visit_scan", visit.pk))
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in scan["Content-Disposition"]

    case.refresh_from_db()
    response = officer.post(
        url("case_transition", case.pk),
        {
            "to_state": State.PENDING_REVIEW,
            "reason": "核查完成，提交审核",
            "version": case.version,
        },
        follow=True,
    )
    assert "已变更为“待审核”" in response.content.decode()

    response = office.post(
        url("meeting_create"),
        {
            "held_on": "2022-11-23",
            "location": "乡政府",
            "chair": "冉瑜",
            "attendees": "冉瑜、王静、涂磊",
            "recorder": "涂磊",
        },
        follow=True,
    )
    assert "议程 1 户" in response.content.decode()
    item = ReviewDecision.objects.get(case=case)
    case.refresh_from_db()
    prefix = f"item{item.pk}"
    response = office.post(
        url("meeting_decide", item.meeting_id, item.pk),
        {
            f"{prefix}-version": case.version,
            f"{prefix}-decision": "maintain",
            f"{prefix}-per_capita_income_monthly": "381",
            f"{prefix}-counted_members": "",
            f"{prefix}-reasons": "比对发现车辆为三轮车，入户核实属实，维持",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "维持，月保障金 400 元/户" in page  # the campaign's unit: 元
    minutes = office.get(url("meeting_minutes_pdf", item.meeting_id))
    assert minutes["Content-Type"] == "application/pdf" and minutes.content.startswith(b"%PDF")

    today(date(2022, 11, 24))
    response = office.post(
        url("notice_create"), {"village": village_a.pk, "start_date": "2022-11-24"}, follow=True
    )
    assert "共 1 户" in response.content.decode()
    notice = PublicNotice.objects.get()
    printed = office.get(url("notice_print", notice.pk)).content.decode()
    assert household.head_name in printed and "400.00" in printed
    assert not ID_PATTERN.search(printed) and household.address not in printed
    assert office.get(url("notice_pdf", notice.pk)).content.startswith(b"%PDF")
    early = office.post(url("notice_report", notice.pk), follow=True)
    assert "期满后才能报县" in early.content.decode()

    today(date(2022, 12, 1))
    office.post(url("notice_report", notice.pk))
    case.refresh_from_db()
    assert case.state == State.REPORTED
    office.post(
        url("case_transition", case.pk),
        {"to_state": State.ARCHIVED, "reason": "归档", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == State.ARCHIVED
    history = office.get(url("case_detail", case.pk)).content.decode()
    for label in (
        "待核查 → 待审核",
        "待审核 → 已审核",
        "已审核 → 公示中",
        "公示中 → 已报县",
        "已报县 → 已归档",
    ):
        assert label in history


def test_refusal_pages_end_in_exit(client_for, campaign, village_a, officer_a, office_user, today):
    today(date(2022, 11, 12))
    case = make_case(village_a, campaign)
    officer, office = client_for(officer_a), client_for(office_user)
    officer.post(
        url("refusal", case.pk),
        {"version": 1, "refused_on": "2022-11-10", "details": "拒绝签署授权书"},
    )
    case.refresh_from_db()
    assert case.state == State.REFUSED
    pdf = officer.get(url("refusal_notice_pdf", case.pk))
    assert pdf.content.startswith(b"%PDF") and "filename*=utf-8''" in pdf["Content-Disposition"]
    officer.post(
        url("refusal_delivery", case.pk),
        {
            "version": case.version,
            "delivered_on": "2022-11-11",
            "delivered_by": "保合村专干",
            "method": "in_person",
        },
    )
    case.refresh_from_db()
    assert case.state == State.NOTICE_DELIVERED
    assert (
        officer.post(url("refusal_receipt", case.pk), {"version": case.version}).status_code == 403
    )
    office.post(
        url("refusal_receipt", case.pk),
        {"version": case.version, "received_on": "2022-11-12", "scan": scan_upload("回执.jpg")},
    )
    case.refresh_from_db()
    assert case.state == State.RECEIPT_RETURNED
    assert office.get(url("receipt_scan", case.pk)).status_code == 200
    page = office.get(url("case_detail", case.pk)).content.decode()
    assert "确认视为自动退出" in page
    assert "期限届满前不能视为自动退出" in page  # the notice gave the family until 11-21
    # The bare transition button cannot skip the confirmation page.
    office.post(
        url("case_transition", case.pk),
        {"to_state": State.AUTO_EXIT, "reason": "回执已交回", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == State.RECEIPT_RETURNED
    today(date(2022, 11, 22))
    form = {"version": case.version, "reason": "期限届满仍拒不配合核查，无特殊情况"}
    page = office.post(url("auto_exit_confirm", case.pk), form).content.decode()
    assert "请勾选确认" in page
    case.refresh_from_db()
    assert case.state == State.RECEIPT_RETURNED
    office.post(url("auto_exit_confirm", case.pk), form | {"confirmed": "on"})
    case.refresh_from_db()
    assert case.state == State.AUTO_EXIT
    assert "撤销自动退出" in office.get(url("case_detail", case.pk)).content.decode()
    assert (
        officer.post(
            url("auto_exit_reverse", case.pk), {"version": case.version, "reason": "x" * 12}
        ).status_code
        == 403
    )
    office.post(
        url("auto_exit_reverse", case.pk),
        {"version": case.version, "reason": "送达地址有误，家属已补签核查授权书"},
    )
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION


def test_exception_page_is_office_only(
    client_for, campaign, village_a, officer_a, office_user, today
):
    today(date(2022, 11, 12))
    case = make_case(village_a, campaign, state=State.REFUSED)
    refusal_for(case)
    assert (
        client_for(officer_a)
        .post(url("refusal_exception", case.pk), {"version": 1, "reason": "住院治疗无法配合核查"})
        .status_code
        == 403
    )
    response = client_for(office_user).post(
        url("refusal_exception", case.pk), {"version": 1, "reason": "太短"}
    )
    assert "至少10个字" in response.content.decode()
    client_for(office_user).post(
        url("refusal_exception", case.pk),
        {"version": 1, "reason": "核查期间住院治疗，家属同意配合"},
    )
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION


def test_illegal_transition_shows_message_and_keeps_state(
    client_for, campaign, village_a, office_user
):
    case = make_case(village_a, campaign, state=State.PENDING_VERIFICATION)
    response = client_for(office_user).post(
        url("case_transition", case.pk),
        {
            "to_state": State.PENDING_REVIEW,
            "reason": "提交",
            "version": case.version,
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "还不能提交审核" in page
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION


def test_stale_page_gets_conflict_message(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_SCREENING)
    Case.objects.filter(pk=case.pk).update(version=3)
    response = client_for(office_user).post(
        url("case_transition", case.pk),
        {
            "to_state": State.PENDING_VERIFICATION,
            "reason": "摸排完成",
            "version": 1,
        },
    )
    assert "请刷新页面" in response.content.decode()


def test_decision_form_errors_keep_input(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    meeting = MeetingFactory(campaign=campaign)
    item = ReviewDecision.objects.create(meeting=meeting, case=case, position=1, is_current=False)
    prefix = f"item{item.pk}"
    response = client_for(office_user).post(
        url("meeting_decide", meeting.pk, item.pk),
        {
            f"{prefix}-version": case.version,
            f"{prefix}-decision": "include_dibao",
            f"{prefix}-per_capita_income_monthly": "600",
            f"{prefix}-reasons": "家庭困难需要救助",
        },
    )
    page = response.content.decode()
    assert "不低于低保标准" in page and "家庭困难需要救助" in page


def test_data_match_import_page_reports_rows_and_columns(
    client_for, campaign, village_a, officer_a, today
):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign, members=1)
    member = case.household.members.get()
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = fmt.SHEET_NAME
    ws.append(fmt.HEADERS)
    ws.append([member.id_number, member.name, "2022-11-08", "两辆", 0, "无", 0, 0, "无", ""])
    buffer = io.BytesIO()
    wb.save(buffer)
    upload = SimpleUploadedFile("比对结果.xlsx", buffer.getvalue())
    response = client_for(officer_a).post(url("data_match_import"), {"file": upload})
    page = response.content.decode()
    assert "未导入任何数据" in page and "<td>2</td><td>车辆</td>" in page
    assert not DataMatchResult.objects.exists()
    ws.cell(row=2, column=4, value=2)
    buffer = io.BytesIO()
    wb.save(buffer)
    response = client_for(officer_a).post(
        url("data_match_import"),
        {"file": SimpleUploadedFile("b.xlsx", buffer.getvalue())},
        follow=True,
    )
    assert "新增 1 条" in response.content.decode()
    template = client_for(officer_a).get(url("data_match_template"))
    assert (
        template.content.startswith(b"PK")
        and "filename*=utf-8''" in template["Content-Disposition"]
    )


def test_relatives_page_declares_and_lists_registered_cases(
    client_for, campaign, village_a, officer_a, office_user
):
    case = make_case(village_a, campaign)
    relative = case.household.members.first()
    response = client_for(officer_a).post(
        url("relative_list"),
        {
            "declarant": officer_a.pk,
            "name": relative.name,
            "id_number": relative.id_number,
            "relation": "parent",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "已备案" in page and relative.id_number not in page
    office_page = client_for(office_user).get(url("relative_list")).content.decode()
    assert f"{case.household.head_name}户" in office_page
    case.refresh_from_db()
    assert case.separately_registered


def test_officer_cannot_declare_for_someone_else(client_for, officer_a, officer_b):
    response = client_for(officer_a).post(
        url("relative_list"),
        {
            "declarant": officer_b.pk,
            "name": "某",
            "id_number": "x",
            "relation": "parent",
        },
    )
    assert response.status_code == 200 and "选择一个有效的选项" in response.content.decode()


def test_deadline_page_shows_notifications_unscreened_and_bulletin(
    client_for, campaign, village_a, village_b, officer_a, officer_b, office_user, today
):
    member = MemberFactory(household=HouseholdFactory(village=village_a))
    AssistanceFactory(member=member, end_date=date(2021, 6, 30))
    enforce_deadlines(today=date(2022, 10, 30))
    today(date(2022, 10, 30))
    page_a = client_for(officer_a).get(url("notification_list")).content.decode()
    assert "重点对象摸排将于2022年11月2日截止" in page_a
    assert (
        "重点对象摸排将于"
        not in client_for(officer_b).get(url("notification_list")).content.decode()
    )
    enforce_deadlines(today=date(2022, 11, 3))
    today(date(2022, 11, 3))
    page = client_for(office_user).get(url("notification_list")).content.decode()
    assert member.household.code in page and "通报" in page
    bulletin = client_for(office_user).get(url("bulletin_detail")).content.decode()
    assert "保合村：应摸排1户" in bulletin
    response = client_for(office_user).post(
        url("bulletin_detail"), {"title": "通报", "body": "修改后的正文"}, follow=True
    )
    assert "修改后的正文" in response.content.decode()
    assert client_for(officer_a).get(url("bulletin_detail")).status_code == 403


def test_each_township_works_in_its_own_campaign(client_for, campaign, village_a):
    """A county holds one active campaign per township: pages use the user's township's."""
    other_township = TownshipFactory(code="500240215", name="外乡")
    other_campaign = CampaignFactory(township=other_township, name="外乡2022年扩面扩围")
    other_village = VillageFactory(township=other_township, name="外乡村")
    ours, theirs = make_case(village_a, campaign), make_case(other_village, other_campaign)
    office_a = UserFactory(username="office_a", role="office", township=village_a.township)
    office_b = UserFactory(username="office_b", role="office", township=other_township)
    for user, case in ((office_a, ours), (office_b, theirs)):
        response = client_for(user).get(url("case_list"))
        assert [c.pk for c in response.context["page_obj"]] == [case.pk]
        assert response.context["campaign"] == case.campaign
    # A county account sees each household's case under that household's township's campaign.
    county = client_for(UserFactory(username="county", role="office", township=None))
    for case in (ours, theirs):
        body = county.get(reverse("households:detail", args=[case.household_id])).content.decode()
        assert case.campaign.name in body
        assert url("case_detail", case.pk) in body


def test_household_page_shows_case_summary(client_for, campaign, village_a, office_user):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    page = (
        client_for(office_user)
        .get(reverse("households:detail", args=[case.household_id]))
        .content.decode()
    )
    assert "核查审核" in page and "待审核" in page and url("case_detail", case.pk) in page
    other = HouseholdFactory(village=village_a)
    page = (
        client_for(office_user).get(reverse("households:detail", args=[other.pk])).content.decode()
    )
    assert "不在本次核查审核范围内" in page


# ---- permissions ----------------------------------------------------------------------------------

CASE_PAGES = [
    "case_detail",
    "data_match_entry",
    "home_visit_create",
    "refusal",
    "refusal_delivery",
    "refusal_receipt",
    "refusal_exception",
    "data_match_pdf",
]


@pytest.mark.parametrize("name", CASE_PAGES)
def test_other_village_officer_gets_404(name, client_for, campaign, village_a, officer_b):
    case = make_case(village_a, campaign)
    assert client_for(officer_b).get(url(name, case.pk)).status_code == 404


def test_other_village_scan_is_404(client_for, campaign, village_a, officer_b):
    case = make_case(village_a, campaign)
    visit = HomeVisitFactory(case=case)
    assert client_for(officer_b).get(url("visit_scan", visit.pk)).status_code == 404


POSTS = [
    ("case_transition", True),
    ("data_match_entry", True),
    ("home_visit_create", True),
    ("refusal", True),
    ("refusal_delivery", True),
    ("refusal_receipt", True),
    ("refusal_exception", True),
    ("objection_create", True),
    ("case_sync", False),
    ("data_match_import", False),
    ("meeting_create", False),
    ("notice_create", False),
    ("relative_list", False),
    ("bulletin_detail", False),
]


@pytest.mark.parametrize(("name", "needs_case"), POSTS)
def test_leadership_gets_403_on_every_post(
    name, needs_case, client_for, campaign, village_a, leader
):
    case = make_case(village_a, campaign)
    target = url(name, case.pk) if needs_case else url(name)
    assert client_for(leader).post(target, {"version": 1}).status_code == 403
    assert Case.objects.get(pk=case.pk).version == 1


def test_leadership_reads_no_case_pages(client_for, campaign, village_a, leader):
    """Issue 19.7: leadership sees aggregates only (the dashboard and the 通报)."""
    case = make_case(village_a, campaign)
    meeting = MeetingFactory(campaign=campaign)
    for target in (
        url("case_list"),
        url("case_detail", case.pk),
        url("meeting_list"),
        url("meeting_detail", meeting.pk),
        url("notice_list"),
        url("notification_list"),
        url("objection_list"),
    ):
        assert client_for(leader).get(target).status_code == 403, target


def test_officer_cannot_open_meetings_or_decide(client_for, campaign, village_a, officer_a):
    case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    meeting = MeetingFactory(campaign=campaign)
    item = ReviewDecision.objects.create(meeting=meeting, case=case, position=1, is_current=False)
    client = client_for(officer_a)
    assert client.get(url("meeting_list")).status_code == 403
    assert client.get(url("meeting_detail", meeting.pk)).status_code == 403
    assert client.get(url("meeting_minutes_pdf", meeting.pk)).status_code == 403
    assert client.post(url("meeting_decide", meeting.pk, item.pk), {}).status_code == 403
    assert client.post(url("notice_create"), {}).status_code == 403


def test_officer_does_not_see_office_only_buttons(client_for, campaign, village_a, officer_a):
    case = make_case(village_a, campaign, state=State.RECEIPT_RETURNED)
    page = client_for(officer_a).get(url("case_detail", case.pk)).content.decode()
    assert "确认视为自动退出" not in page


def test_officer_lists_only_own_village(client_for, campaign, village_a, village_b, officer_a):
    mine = make_case(village_a, campaign)
    theirs = make_case(village_b, campaign)
    page = client_for(officer_a).get(url("case_list")).content.decode()
    assert mine.household.code in page and theirs.household.code not in page
    page = client_for(officer_a).get(url("case_list"), {"village": village_b.pk}).content.decode()
    assert theirs.household.code not in page


def test_case_list_filters(client_for, campaign, village_a, office_user):
    overdue = make_case(village_a, campaign, overdue=True)
    fine = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    client = client_for(office_user)
    page = client.get(url("case_list"), {"overdue": "1"}).content.decode()
    assert overdue.household.code in page and fine.household.code not in page
    page = client.get(url("case_list"), {"state": "pending_review"}).content.decode()
    assert fine.household.code in page and overdue.household.code not in page


def test_negative_decision_notice_pdf(
    client_for, campaign, village_a, office_user, officer_a, officer_b
):
    case = make_case(village_a, campaign, state=State.REVIEWED)
    item = DecisionFactory(
        case=case,
        decision="reject",
        notice_number="洗民不符告〔2022〕1号",
        reasons="人均收入高于低保标准1.5倍",
    )
    response = client_for(officer_a).get(url("decision_notice_pdf", item.pk))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client_for(officer_b).get(url("decision_notice_pdf", item.pk)).status_code == 404


# ---- query-count guards -------------------------------------------------------------------------


def _grow(village, campaign, n):
    for _ in range(n):
        case = make_case(village, campaign, members=2)
        complete_verification(case)


@pytest.mark.parametrize(
    "name", ["case_list", "notice_list", "objection_list", "relative_list", "meeting_list"]
)
def test_list_queries_do_not_grow_with_rows(
    name, client_for, campaign, village_a, office_user, django_assert_max_num_queries
):
    client = client_for(office_user)
    _grow(village_a, campaign, 2)
    client.get(url(name))
    with django_assert_max_num_queries(40) as small:
        client.get(url(name))
    _grow(village_a, campaign, 15)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(name)).status_code == 200


def test_unscreened_list_queries_do_not_grow(
    client_for, campaign, village_a, office_user, django_assert_max_num_queries, today
):
    def lookback(n):
        for _ in range(n):
            m = MemberFactory(household=HouseholdFactory(village=village_a))
            AssistanceFactory(member=m, end_date=date(2021, 6, 30))

    today(date(2022, 11, 5))
    lookback(2)
    enforce_deadlines(today=date(2022, 11, 5))
    client = client_for(office_user)
    with django_assert_max_num_queries(40) as small:
        client.get(url("notification_list"))
    lookback(20)
    enforce_deadlines(today=date(2022, 11, 5))
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url("notification_list")).content.decode()
    assert "22 户仍未完成摸排" in page


def test_meeting_detail_queries_do_not_grow(
    client_for, campaign, village_a, office_user, django_assert_max_num_queries
):
    meeting = MeetingFactory(campaign=campaign)

    def add(n):
        for i in range(n):
            case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
            ReviewDecision.objects.create(meeting=meeting, case=case, position=i, is_current=False)

    add(2)
    client = client_for(office_user)
    with django_assert_max_num_queries(40) as small:
        client.get(url("meeting_detail", meeting.pk))
    add(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url("meeting_detail", meeting.pk))


def test_objection_page_reopens_case(
    client_for, campaign, village_a, office_user, officer_a, today
):
    from tests.verification.factories import notice_for

    today(date(2022, 11, 25))
    case = make_case(village_a, campaign, state=State.IN_NOTICE)
    decision = DecisionFactory(case=case)
    notice, _ = notice_for(case, decision, start=date(2022, 11, 24))
    assert client_for(officer_a).get(url("objection_create", case.pk)).status_code == 403
    response = client_for(office_user).post(
        url("objection_create", case.pk),
        {
            "version": case.version,
            "received_on": "2022-11-25",
            "objector": "",
            "content": "邻居反映该户儿子在外务工收入较高",
            "action": "reinvestigate",
        },
        follow=True,
    )
    assert "已登记异议" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION
    listing = client_for(officer_a).get(url("objection_list")).content.decode()
    assert "邻居反映该户儿子在外务工收入较高" in listing and "匿名" in listing
    detail = client_for(office_user).get(url("notice_detail", notice.pk)).content.decode()
    assert "已撤回" in detail


def test_notices_of_other_villages_are_hidden_from_officers(
    client_for, campaign, village_a, officer_a, officer_b
):
    from tests.verification.factories import notice_for

    case = make_case(village_a, campaign, state=State.IN_NOTICE)
    notice, _ = notice_for(case, DecisionFactory(case=case))
    assert client_for(officer_a).get(url("notice_detail", notice.pk)).status_code == 200
    for name in ("notice_detail", "notice_print", "notice_pdf"):
        assert client_for(officer_b).get(url(name, notice.pk)).status_code == 404
    assert notice.number not in client_for(officer_b).get(url("notice_list")).content.decode()


def test_agenda_refresh_and_sync_are_office_only(
    client_for, campaign, village_a, office_user, officer_a
):
    meeting = MeetingFactory(campaign=campaign)
    make_case(village_a, campaign, state=State.PENDING_REVIEW)
    assert client_for(officer_a).post(url("meeting_refresh", meeting.pk)).status_code == 403
    assert client_for(officer_a).post(url("case_sync")).status_code == 403
    response = client_for(office_user).post(url("meeting_refresh", meeting.pk), follow=True)
    assert "已将 1 户新的待审核家庭列入议程" in response.content.decode()


def test_data_match_pdf_masks_ids(client_for, campaign, village_a, officer_a):
    from pypdf import PdfReader

    case = make_case(village_a, campaign, members=1)
    from tests.verification.factories import DataMatchFactory

    DataMatchFactory(case=case, member=case.household.members.get(), vehicles=1)
    response = client_for(officer_a).get(url("data_match_pdf", case.pk))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "未申报车辆" in text and not ID_PATTERN.search(text.replace("\n", ""))


def test_admin_is_read_only_and_scoped(client_for, campaign, village_a):
    from tests.factories import UserFactory

    admin_user = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    case = make_case(village_a, campaign)
    client = client_for(admin_user)
    assert client.get(reverse("admin:verification_case_changelist")).status_code == 200
    response = client.post(
        reverse("admin:verification_case_change", args=[case.pk]), {"state": "archived"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.PENDING_VERIFICATION
