"""Issue 20.10: the 告知书 download as .docx with the PDF's wording, for the same users only."""

from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.documents import (
    assert_same_wording,
    docx_document,
    docx_table_rows,
    east_asian_font,
)
from verification import services
from xixin_dibao.models import AuditEvent

from .factories import DecisionFactory, bulletin_draft, make_case, refusal_for

pytestmark = pytest.mark.django_db

REASONS = (
    "家庭人均月收入1,250.00元，高于低保标准（每人每月640元）。\n家庭有小轿车一辆（渝B·12345）。"
)


@pytest.fixture(autouse=True)
def pinned(today):
    return today(date(2022, 11, 10))


def url(name, *args):
    return reverse(f"verification:{name}", args=args)


@pytest.fixture
def refused(campaign, village_a):
    case = make_case(village_a, campaign, state="refused")
    return refusal_for(case, details="拒绝签署核查授权书，称家中无人外出务工；")


@pytest.fixture
def rejected(campaign, village_a):
    case = make_case(village_a, campaign, state="reviewed")
    return DecisionFactory(
        case=case,
        decision="reject",
        notice_number="洗民不符告〔2022〕7号",
        reasons=REASONS,
        decided_at=datetime(2022, 11, 8, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
    )


def word_beside_pdf(client, kind, pk, stem) -> list[str]:
    """Download `kind`'s .docx and PDF; check the file name and that both say the same."""
    word = client.get(url(f"{kind}_docx", pk))
    pdf = client.get(url(f"{kind}_pdf", pk))
    assert word.status_code == 200 and pdf.status_code == 200
    assert word["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert word["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote(stem + '-20221110.docx')}"
    )
    return assert_same_wording(word.content, pdf.content)


def test_refusal_notice_docx_says_what_the_pdf_says(client_for, officer_a, refused):
    household = refused.case.household
    paragraphs = word_beside_pdf(
        client_for(officer_a),
        "refusal_notice",
        refused.case_id,
        f"书面告知书-{household.head_name}",
    )
    refused.refresh_from_db()
    assert paragraphs[:3] == [
        "拒不配合家庭经济状况核查告知书",
        refused.notice_number,
        f"{household.head_name}户（{household.village.name}）：",
    ]
    body = "".join(paragraphs)
    assert (
        "2022年11月10日，你户拒不配合开展经济核查：拒绝签署核查授权书，称家中无人外出务工。" in body
    )
    assert "请你户在2022年11月21日前（含当日）配合完成家庭经济状况核查" in body
    sign = paragraphs.index("洗新乡民政与社会事务办（盖章）")
    assert paragraphs[sign - 1].startswith("四、对本告知有异议的")
    assert paragraphs[sign + 1] == "2022年11月10日"
    assert paragraphs[sign + 2 : sign + 4] == [
        "（沿此线剪开，回执联由村综合服务专干交回乡民政与社会事务办办公室主任）",
        "回　执",
    ]
    assert f"{household.head_name}户已收到" in paragraphs[sign + 4]
    assert AuditEvent.objects.filter(
        kind="print", summary=f"下载Word版告知书 {refused.notice_number}"
    ).exists()


def test_decision_notice_docx_says_what_the_pdf_says(client_for, office_user, rejected):
    household = rejected.case.household
    paragraphs = word_beside_pdf(
        client_for(office_user),
        "decision_notice",
        rejected.pk,
        f"不符合条件告知书-{household.head_name}",
    )
    assert paragraphs[:3] == [
        "不符合条件告知书",
        "洗民不符告〔2022〕7号",
        f"{household.head_name}户（{household.village.name}）：",
    ]
    assert REASONS in paragraphs  # one framed paragraph, its line break kept
    assert any("决定不予纳入。" in p for p in paragraphs)
    assert paragraphs[-3:] == [
        "洗新乡人民政府（盖章）",
        "2022年11月8日",
        "签收人：＿＿＿＿＿＿　　签收日期：＿＿＿＿年＿＿月＿＿日",
    ]
    assert AuditEvent.objects.filter(kind="print", household_id=household.pk).count() == 2


def test_word_layout_is_a4_with_chinese_fonts(rejected):
    data = services.render_decision_notice_docx(rejected)
    document = docx_document(data)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert 25 <= section.left_margin.mm <= 30 and 30 <= section.top_margin.mm <= 40
    title, *rest = document.paragraphs
    assert east_asian_font(title) == "方正小标宋简体"
    assert {east_asian_font(p) for p in rest if p.runs} == {"仿宋"}
    # The closing paragraph and the 落款 are kept on one page, as in the PDF.
    kept = [p for p in document.paragraphs if p.paragraph_format.keep_with_next]
    assert kept[0].text.startswith("如对本决定有异议")


def test_no_full_id_number_in_any_notice(rejected, refused):
    """The notices name the household only; no member's ID number reaches the file."""
    services.notice_number(refused)
    for data, case in (
        (services.render_decision_notice_docx(rejected), rejected.case),
        (services.render_refusal_notice_docx(refused), refused.case),
    ):
        document = docx_document(data)
        xml = document.element.xml
        for member in case.household.members.all():
            assert member.id_number not in xml


@pytest.mark.parametrize("name", ["refusal_notice_docx", "decision_notice_docx"])
def test_other_village_gets_404_and_leadership_403(
    name, client_for, officer_b, leader, refused, rejected
):
    pk = refused.case_id if name == "refusal_notice_docx" else rejected.pk
    assert client_for(officer_b).get(url(name, pk)).status_code == 404
    assert client_for(leader).get(url(name, pk)).status_code == 403
    assert not AuditEvent.objects.filter(kind="print").exists()


def test_a_positive_decision_has_no_notice(client_for, office_user, campaign, village_a):
    item = DecisionFactory(case=make_case(village_a, campaign, state="reviewed"))
    assert client_for(office_user).get(url("decision_notice_docx", item.pk)).status_code == 404


def test_bulletin_draft_docx_carries_the_edited_text(
    client_for, office_user, leader, officer_a, campaign
):
    bulletin = bulletin_draft(
        campaign,
        "各村民委员会：\n全乡应摸排3户。\n请保合村立即完成。\n\n"
        "洗新乡低保扩面扩围工作领导小组办公室\n2022年11月3日",
        title="关于摸排工作进展情况的通报",
    )
    response = client_for(office_user).get(url("bulletin_docx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(quote("通报草稿-20221110.docx"))
    document = docx_document(response.content)
    paragraphs = [p for p in document.paragraphs if p.text]
    assert [p.text for p in paragraphs[:4]] == [
        bulletin.title,
        "各村民委员会：",
        "全乡应摸排3户。",
        "请保合村立即完成。",
    ]
    closing, office, day = paragraphs[3:6]
    assert closing.paragraph_format.keep_with_next and office.paragraph_format.keep_with_next
    assert (office.text, day.text) == ("洗新乡低保扩面扩围工作领导小组办公室", "2022年11月3日")
    assert office.alignment == day.alignment == 2  # right
    assert docx_table_rows(response.content)[1] == ["保合村", "2", "1", "1", "50.0%"]
    assert client_for(leader).get(url("bulletin_docx")).status_code == 200
    assert client_for(officer_a).get(url("bulletin_docx")).status_code == 403
