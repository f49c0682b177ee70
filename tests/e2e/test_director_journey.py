"""The office director's journeys: screening, verification and review, 公示, dossiers and rosters.

The township has two villages; 保合村 has a new candidate (冉光明), a current dibao recipient
(谭秀英) and a well-off household (刘富贵); 万寿村 has a single-person candidate (陈小芳) and a
marginal household (周大海). Screening, verification and archives run through the pages; steps a
journey does not look at are done with the same services the pages call.
"""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal
from urllib.parse import unquote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from pypdf import PdfReader

from households import idnumber
from households.models import Household
from households.survey import mark_survey_complete
from screening.models import ScreeningResult
from screening.services import screen_households
from tests.factories import (
    AssistanceFactory,
    HouseholdFactory,
    IncomeFactory,
    MemberFactory,
    make_id_number,
)
from tests.verification.factories import pdf_bytes
from verification import services as verification
from verification.models import Case, DataMatchResult, HomeVisit, ReviewDecision
from verification.states import State
from xixin_dibao.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = date(2022, 11, 10)  # after the outreach deadline, before the verification cutoff
FULL_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture(autouse=True)
def _today(settings):
    settings.APP_TODAY = TODAY


def family(village, head, others=(), *, income="0", code, born=date(1968, 4, 1), **fields):
    """A household whose head is `head`, with members `others` and one operating income."""
    household = HouseholdFactory(
        village=village, code=code, head_name=head, address=f"{village.name}2组", **fields
    )
    members = [
        MemberFactory(
            household=household,
            name=name,
            relation="head" if i == 0 else "spouse",
            id_number=make_id_number(born, female=bool(i % 2)),
        )
        for i, name in enumerate([head, *others])
    ]
    if Decimal(income):
        IncomeFactory(household=household, member=members[0], kind="operating", amount=income)
    return household


@pytest.fixture
def township(campaign, village_a, village_b, office_user):
    """Five households in two villages; nothing screened yet. The director works for 洗新乡."""
    office_user.township = campaign.township
    office_user.save(update_fields=["township"])
    households = {
        "candidate": family(village_a, "冉光明", ["冉王氏"], income="4800", code="BH-0001"),
        "recipient": family(village_a, "谭秀英", ["谭德贵"], income="3600", code="BH-0002"),
        "well_off": family(village_a, "刘富贵", ["刘李氏"], income="96000", code="BH-0003"),
        "single": family(village_b, "陈小芳", income="3000", code="WS-0001"),
        "marginal": family(village_b, "周大海", ["周秀兰"], income="16000", code="WS-0002"),
    }
    for member in households["recipient"].members.all():  # the whole household is covered
        AssistanceFactory(
            member=member, kind="dibao", start_date=date(2020, 1, 1), monthly_amount=Decimal("431")
        )
    return households


def keep(j, name: str, data: bytes) -> None:
    """Keep a delivered file next to the screenshots, for people to open."""
    (j.folder / f"{j.step:02d}-{name}").write_bytes(data)


def download(j, click_on):
    """Click a link or button that delivers a file; return (file name, bytes)."""
    with j.page.expect_download() as info:
        click_on.click()
    got = info.value
    assert got.failure() is None, got.failure()
    with open(got.path(), "rb") as f:
        data = f.read()
    keep(j, got.suggested_filename, data)
    return got.suggested_filename, data


def open_pdf(j, link):
    """Click a link to a PDF the browser shows inline; return (file name, bytes), then come back."""
    page = j.page
    path = link.get_attribute("href")
    with page.expect_response(lambda r: urlsplit(r.url).path == path) as info:
        link.click()
    response = info.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("inline")
    # Chromium's PDF viewer consumes the body; fetch the same URL with the browser's session.
    data = page.request.get(response.url).body()
    page.go_back()
    page.wait_for_load_state()
    name = unquote(disposition.split("filename*=utf-8''")[1])
    keep(j, name, data)
    return name, data


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def screen_township(campaign, office_user) -> None:
    """What the director's 重新研判 button does, for journeys that start after it; the village
    officers have marked every household's 摸排 complete by then."""
    screen_households(campaign=campaign, actor=office_user)
    for household in Household.objects.all():
        mark_survey_complete(household=household, actor=office_user)


def open_cases(campaign, office_user) -> dict[str, Case]:
    verification.ensure_cases(campaign=campaign, actor=office_user)
    return {c.household.head_name: c for c in Case.objects.select_related("household")}


def verify_through_services(case: Case, actor) -> None:
    """Data match for every member, a home visit with its scan, then 提交审核."""
    verification.record_data_match(
        case=case,
        actor=actor,
        rows=[
            {"member": m, "matched_on": date(2022, 11, 7), "vehicles": 0, "deposits": 0,
             "business": "", "pension_monthly": 0, "houses": 1, "housing_fund": False, "note": ""}
            for m in case.household.members.all()
        ],
    )  # fmt: skip
    case.refresh_from_db()
    verification.record_home_visit(
        case=case,
        actor=actor,
        visited_on=date(2022, 11, 8),
        investigators=["王静", "涂磊"],
        members_finding="两口人，共同生活",
        employment_income_finding="务农，无稳定收入",
        property_finding="自建房一处",
        spending_finding="日常开支节俭",
        scan=SimpleUploadedFile("入户调查表.pdf", pdf_bytes(1), "application/pdf"),
    )
    case.refresh_from_db()
    verification.transition(
        case=case, to_state=State.PENDING_REVIEW, actor=actor, reason="核查完成"
    )


# ---- 1. screening: run, filter, explanation ----------------------------------------------------


def test_director_screens_the_township_filters_the_queue_and_reads_an_explanation(
    journey, township, office_user, village_a
):
    j = journey()
    page = j.login("office")
    page.click("header nav a:has-text('研判队列')")
    page.wait_for_load_state()
    assert "没有符合条件的研判结果" in page.locator(".empty").inner_text()
    j.shot("queue-before-screening")

    # Run screening for the whole township; the job page reports progress and the result.
    run_form = page.locator("form[action$='/screening/run/']")
    assert run_form.locator("select[name=village] option:checked").inner_text() == "全乡"
    run_form.locator("button:has-text('重新研判')").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "重新研判：全乡"
    job = page.locator(".job")
    assert job.locator(".job-status").inner_text() == "已完成"
    assert job.locator(".job-count").inner_text() == "5 / 5"
    assert job.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    assert "研判完成（全乡）" in job.locator(".job-message").inner_text()
    j.shot("screening-job-done")
    assert ScreeningResult.objects.filter(is_current=True).count() == 5

    page.click("header nav a:has-text('研判队列')")
    page.wait_for_load_state()
    j.shot("queue-after-screening")
    cards = page.locator(".cards .card")
    counts = dict(
        zip(
            cards.locator(".label").all_inner_texts(),
            cards.locator(".num").all_inner_texts(),
            strict=True,
        )
    )
    assert counts["全部结论（当前筛选）"] == "5"
    assert counts["低保"] == "3" and counts["低保边缘"] == "1" and counts["不符合"] == "1"
    assert "最近一次批量研判" in page.content()

    # Filter: 低保 in 保合村 -> the candidate and the current recipient, not 万寿村's 陈小芳.
    filters = page.locator("form[role=search]")
    filters.locator("select[name=outcome]").select_option(label="低保")
    filters.locator("select[name=village]").select_option(label="保合村")
    filters.locator("button:has-text('查询')").click()
    page.wait_for_load_state()
    rows = page.locator("table.data tbody tr")
    heads = sorted(rows.locator("td:nth-child(2)").all_inner_texts())
    assert heads == ["冉光明", "谭秀英"]
    assert "outcome=dibao" in page.url and f"village={village_a.pk}" in page.url
    assert all(t == "保合村" for t in rows.locator("td:nth-child(3)").all_inner_texts())
    j.shot("queue-filtered-dibao-baohe")

    row = rows.filter(has_text="冉光明")
    assert "2,400.00" in row.inner_text()
    row.locator("a:has-text('BH-0001')").click()
    page.wait_for_load_state()
    section = page.locator("section.screening")
    assert section.locator(".verdict .badge.dibao").inner_text() == "低保"
    reasons = section.locator("ol.explain").inner_text()
    assert "人均年收入 2,400.00 元，低于低保标准 6,972.00 元" in reasons
    assert "《最低生活保障审核确认办法》第十二条" in reasons
    assert "测算月保障金 762.00 元/户" in section.inner_text()  # (581 − 200) × 2
    # The computation lists the income that was counted.
    assert "4,800.00" in section.locator("details[open]").inner_text()
    j.shot("household-explanation")

    # The well-off household is explained too, with the marginal line it is above.
    page.go_back()
    page.wait_for_load_state()
    page.locator("form[role=search] select[name=outcome]").select_option(label="不符合")
    page.locator("form[role=search] button:has-text('查询')").click()
    page.wait_for_load_state()
    assert page.locator("table.data tbody tr").count() == 1
    page.locator("table.data tbody tr a").first.click()
    page.wait_for_load_state()
    assert "不属于低保或低保边缘" in page.locator("section.screening ol.explain").inner_text()
    assert "10,458.00" in page.locator("section.screening ol.explain").inner_text()
    j.shot("not-eligible-explanation")


# ---- 2. verification, review meeting, 公示 ------------------------------------------------------


def test_director_verifies_a_case_runs_the_review_meeting_and_posts_the_notice(
    journey, township, office_user, campaign, village_a
):
    screen_township(campaign, office_user)
    candidate = township["candidate"]
    head, spouse = candidate.members.order_by("pk")

    j = journey()
    page = j.login("office")
    page.click("header nav a:has-text('核查审核')")
    page.wait_for_load_state()
    assert "没有符合条件的案件" in page.locator(".empty").inner_text()
    page.click("button:has-text('同步核查范围')")
    page.wait_for_load_state()
    assert "新建案件 4 户" in page.locator(".messages").inner_text()
    rows = page.locator("table.data tbody tr")
    assert sorted(rows.locator("td:nth-child(2)").all_inner_texts()) == [
        "冉光明", "周大海", "谭秀英", "陈小芳",
    ]  # fmt: skip
    assert "刘富贵" not in page.locator("table.data").inner_text()
    j.shot("cases-after-sync")

    # The recipient's verification was done by the village officer (services); the candidate's
    # is entered here, through the pages.
    cases = {c.household.head_name: c for c in Case.objects.select_related("household")}
    verify_through_services(cases["谭秀英"], office_user)

    rows.filter(has_text="冉光明").locator("a").first.click()
    page.wait_for_load_state()
    assert "提交审核前还需要" in page.locator(".explain").first.inner_text()
    assert head.id_number not in page.content()
    assert idnumber.mask(head.id_number) in page.content()
    j.shot("case-before-verification")

    page.click("a.btn:has-text('录入/修改比对结果')")
    page.wait_for_load_state()
    for i, vehicles in enumerate(("1", "0")):
        page.fill(f"[name='rows-{i}-matched_on']", "2022-11-08")
        page.fill(f"[name='rows-{i}-vehicles']", vehicles)
        page.fill(f"[name='rows-{i}-deposits']", "1200" if i == 0 else "0")
        page.fill(f"[name='rows-{i}-houses']", "1" if i == 0 else "0")
    j.shot("data-match-form")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert "已保存 2 名成员的信息比对结果" in page.locator(".messages").inner_text()
    assert "未申报车辆" in page.content()  # the mismatch with what the family declared
    assert DataMatchResult.objects.filter(case=cases["冉光明"]).count() == 2
    j.shot("case-after-data-match")

    page.click("a.btn:has-text('录入入户调查')")
    page.wait_for_load_state()
    page.fill("#id_visited_on", "2022-11-09")
    page.fill("#id_investigators", "王静、涂磊")
    page.fill("#id_members_finding", "夫妻二人，共同生活")
    page.fill("#id_employment_income_finding", "户主种植玉米，年收入约4800元")
    page.fill("#id_property_finding", "自建砖房一处；三轮摩托车一辆（比对所列车辆）")
    page.fill("#id_spending_finding", "日常开支节俭")
    page.set_input_files(
        "#id_scan",
        files=[{"name": "入户调查表.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(2)}],
    )
    j.shot("home-visit-form")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert "已保存入户调查记录" in page.locator(".messages").inner_text()
    assert "查看扫描件（2页）" in page.content()
    assert HomeVisit.objects.get(case=cases["冉光明"]).investigators == ["王静", "涂磊"]

    page.locator("button[name=to_state][value=pending_review]").click()
    page.wait_for_load_state()
    assert "已变更为“待审核”" in page.locator(".messages").inner_text()
    j.shot("case-submitted-for-review")

    # The review meeting: both verified cases are on the agenda.
    page.click("header nav a:has-text('审核会议')")
    page.wait_for_load_state()
    assert "还没有审核会议" in page.content()
    page.click("a.btn:has-text('新建会议')")
    page.wait_for_load_state()
    assert page.input_value("#id_held_on") == "2022-11-10"
    page.fill("#id_location", "洗新乡人民政府三楼会议室")
    page.fill("#id_chair", "冉瑜")
    page.fill("#id_attendees", "冉瑜、王静、涂磊、秦川")
    page.fill("#id_recorder", "涂磊")
    j.shot("meeting-form")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert "已创建会议，议程 2 户" in page.locator(".messages").inner_text()
    assert "议程（2 户）" in page.content()
    j.shot("meeting-agenda")

    def row(name):
        return page.locator("fieldset", has=page.locator("legend", has_text=name))

    def decide(name, decision, reasons):
        row(name).locator("select[name$='-decision']").select_option(label=decision)
        row(name).locator("textarea[name$='-reasons']").fill(reasons)

    def save():
        page.click("button:has-text('保存勾选家庭的审核决定')")
        page.wait_for_load_state()

    # Each row shows the verdict and what the checks found; 审核意见 is pre-filled from it.
    item = row("冉光明")
    # The undeclared vehicle the data match found is a fact now (issue 18.3): 需人工复核.
    assert "需人工复核" in item.locator("[data-fact=verdict]").inner_text()
    assert "2,400.00 元/年" in item.locator("[data-fact=income]").inner_text()
    # A decision without reasons is refused, with the field named and the choice kept.
    item.locator("select[name$='-decision']").select_option(label="纳入低保")
    item.locator("input[name$='-include']").check()
    save()
    assert "未保存" in page.locator(".messages").inner_text()
    item = row("冉光明")
    assert item.locator("select[name$='-decision'] option:checked").inner_text() == "纳入低保"
    assert item.locator(".field-error").inner_text() == "请填写审核理由。"
    j.shot("decision-without-reasons")

    # Both households decided in one submit.
    decide("冉光明", "纳入低保", "人均年收入2400元低于低保标准；比对车辆为三轮摩托车，入户核实属实")
    decide("谭秀英", "维持", "收入未发生变化，入户调查属实，维持低保")
    save()
    assert "冉光明户：纳入低保，月保障金 762 元" in page.locator(".messages").inner_text()
    assert "谭秀英户：维持" in page.locator(".messages").inner_text()
    decision = ReviewDecision.objects.get(case=cases["冉光明"], is_current=True)
    assert decision.monthly_amount == Decimal("762.00") and decision.counted_members == 2
    assert Case.objects.get(pk=cases["冉光明"].pk).state == State.REVIEWED
    legend = page.locator("fieldset", has=page.locator("legend", has_text="冉光明"))
    assert "月保障金 762.00 元/户 =（581.00 − 200.00）× 2 人" in legend.inner_text()
    j.shot("meeting-decided")

    name, minutes = open_pdf(j, page.locator("a.btn:has-text('会议记录（PDF）')"))
    assert name.endswith(".pdf") and "会议记录" in name
    text = pdf_text(minutes)
    assert "冉光明" in text and "谭秀英" in text
    assert "冉瑜" in text
    assert not FULL_ID.search(text)

    # 公示 for 保合村: names, household size and amounts only.
    page.click("nav a.btn:has-text('张榜公示')")
    page.wait_for_load_state()
    page.click("a.btn:has-text('生成公示')")
    page.wait_for_load_state()
    page.select_option("#id_village", label="保合村")
    assert page.input_value("#id_start_date") == "2022-11-10"
    j.shot("notice-form")
    page.click("button:has-text('保存')")
    page.wait_for_load_state()
    assert "共 2 户" in page.locator(".messages").inner_text()
    assert "保合村张榜公示" in page.locator("h1").inner_text()
    table = page.locator("table.data").inner_text()
    assert "冉光明" in table and "762.00" in table and "谭秀英" in table
    assert "公示中" in table
    j.shot("notice-detail")

    name, notice_pdf = open_pdf(j, page.locator(".toolbar a.btn:has-text('PDF')"))
    assert name == "张榜公示-保合村.pdf"
    text = pdf_text(notice_pdf)
    assert "冉光明" in text and "762.00" in text
    assert not FULL_ID.search(text), "公示不得出现完整身份证号"
    assert candidate.address not in text
    for member in (head, spouse):
        assert member.id_number not in text

    # The case page now tells the whole story; reporting to the county waits for the period.
    page.locator("table.data a", has_text="公示中").first.click()
    page.wait_for_load_state()
    assert page.locator("button[name=to_state][value=reported]").count() == 0
    assert "公示期至2022年11月16日，期满后才能报县" in page.locator(".blocked-actions").inner_text()
    assert "公示中" in page.locator("h1 + .badge, .toolbar .badge").first.inner_text()
    history = page.locator("h2:has-text('办理记录') + table").inner_text()
    for step in ("待核查 → 待审核", "待审核 → 已审核", "已审核 → 公示中"):
        assert step in history
    j.shot("case-history")


# ---- 3. archives: dossier, roster, village batch ----------------------------------------------


def test_director_builds_a_dossier_downloads_the_roster_and_a_village_batch(
    journey, township, office_user, campaign, village_a
):
    screen_township(campaign, office_user)
    cases = open_cases(campaign, office_user)
    verify_through_services(cases["谭秀英"], office_user)
    recipient = township["recipient"]

    j = journey()
    page = j.login("office")
    page.goto(j.base + recipient.get_absolute_url())
    page.click("a:has-text('查看卷内目录')")
    page.wait_for_load_state()
    assert "谭秀英户 一户一档" in page.locator("h1").inner_text()
    assert "尚未生成档案PDF" in page.content()
    toc_titles = page.locator("table.data").first.inner_text()
    assert "家庭基本情况及申请登记表" in toc_titles and "家庭经济状况信息比对结果" in toc_titles
    j.shot("dossier-before-build")

    page.click("button:has-text('生成档案PDF')")
    page.wait_for_load_state()
    message = page.locator(".messages").inner_text()
    assert "已生成档案PDF第1版" in message
    j.shot("dossier-built")

    name, dossier = download(j, page.locator("a.btn:has-text('下载档案PDF（第1版）')"))
    assert name == "BH-0002_谭秀英_一户一档_第1版.pdf"
    reader = PdfReader(io.BytesIO(dossier))
    pages = [p.extract_text() or "" for p in reader.pages]
    assert f"共{len(pages)}页" in message
    assert any("卷内目录" in p for p in pages[:3]), "档案应有卷内目录页"
    assert any("入户调查" in p for p in pages)
    assert not any(FULL_ID.search(p) for p in pages)

    # The 低保 roster of the township: a title row, the recipient, ID numbers masked.
    page.click("header nav a:has-text('档案与花名册')")
    page.wait_for_load_state()
    j.shot("archives-index")
    roster_row = page.locator("table.data tbody tr", has_text="全乡")
    name, roster = download(j, roster_row.locator("a:has-text('下载')").first)
    assert name == "洗新乡低保花名册_20221110.xlsx"
    ws = load_workbook(io.BytesIO(roster)).active
    assert ws["A1"].value == "洗新乡低保对象花名册"
    cells = [str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert "谭秀英" in cells
    head = recipient.members.get(relation="head")
    assert idnumber.mask(head.id_number) in cells
    assert not any(FULL_ID.fullmatch(c) for c in cells), "花名册默认隐藏身份证号"

    # A village batch: the job page, then the ZIP with one PDF per household of 保合村.
    village_row = page.locator("table.data tbody tr", has_text="保合村")
    village_row.locator("button:has-text('生成本村档案包')").click()
    page.wait_for_load_state()
    assert "保合村一户一档PDF档案包" in page.locator("h1").inner_text()
    assert page.locator(".job-status").inner_text() == "已完成"
    assert page.locator(".job-count").inner_text() == "3 / 3"
    j.shot("batch-job-done")
    name, archive = download(j, page.locator(".job-download a"))
    assert name.endswith(".zip")
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    pdfs = sorted(n for n in names if n.endswith(".pdf"))
    codes = sorted(Household.objects.filter(village=village_a).values_list("code", flat=True))
    assert pdfs == [f"{village_a.code}{village_a.name}/{code}.pdf" for code in codes]
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert PdfReader(io.BytesIO(z.read(pdfs[0]))).pages
    assert Job.objects.get(kind="dossier_batch").status == Job.Status.DONE

    page.click("header nav a:has-text('档案与花名册')")
    page.wait_for_load_state()
    assert "下载ZIP" in page.locator("h2:has-text('我的档案包') + table").inner_text()
    j.shot("archives-index-with-batch")
