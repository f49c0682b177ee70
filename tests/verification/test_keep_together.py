"""Issue 20.11: a 落款 or signature block never sits alone on a page.

Each test lengthens a document until the marker (a 落款, a signature line) is first pushed off
the first page: the page that then holds it must also hold what is printed just before it.
"""

import pytest

from archives.pdf import render_pdf
from verification import services
from verification.services.documents import minutes_context, public_notice_context

from ..documents import page_holding, spill_point
from .factories import DecisionFactory, make_case, notice_for, refusal_for

pytestmark = pytest.mark.django_db


def test_decision_notice_signature_keeps_its_last_paragraph(campaign, village_a):
    item = DecisionFactory(
        case=make_case(village_a, campaign, state="reviewed"),
        decision="reject",
        notice_number="洗民不符告〔2022〕3号",
    )

    def render(lines):
        item.reasons = "\n".join(f"{i + 1}．家庭成员名下有登记车辆一辆。" for i in range(lines))
        return services.render_decision_notice(item)

    for marker in ("洗新乡人民政府（盖章）", "签收人"):
        page = page_holding(spill_point(render, 1, 60, marker), marker)
        assert "如对本决定有异议" in page and "（盖章）" in page and "签收人" in page, marker


def test_refusal_notice_signature_keeps_its_last_paragraph_and_the_receipt_stays_whole(
    campaign, village_a
):
    refusal = refusal_for(make_case(village_a, campaign, state="refused"))
    services.notice_number(refusal)

    def render(sentences):
        refusal.details = "入户时户主拒绝签署核查授权书并拒绝提供银行存款信息，" * sentences
        return services.render_refusal_notice(refusal)

    marker = "洗新乡民政与社会事务办（盖章）"
    page = page_holding(spill_point(render, 0, 40, marker), marker)
    assert "四、对本告知有异议的" in page
    page = page_holding(spill_point(render, 0, 40, "送达方式"), "送达方式")
    assert "回执" in page and "被告知人（签字或按印）" in page


def test_minutes_signatures_keep_the_last_decided_row(campaign, village_a):
    item = DecisionFactory(
        case=make_case(village_a, campaign, state="reviewed"),
        reasons="人均收入低于低保标准，入户调查属实，同意纳入。",
    )
    head = item.case.household.head_name

    def render(rows):
        return render_pdf(
            "verification/pdf/minutes.html", minutes_context(item.meeting, [item] * rows)
        )

    for marker in ("记录人（签字）", "洗新乡人民政府"):
        page = page_holding(spill_point(render, 1, 60, marker), marker)
        assert head in page and "记录人（签字）" in page and "洗新乡人民政府" in page, marker


def test_public_notice_date_keeps_the_last_rows(campaign, village_a):
    case = make_case(village_a, campaign, state="reviewed")
    notice, _ = notice_for(case, DecisionFactory(case=case, monthly_amount="580.00"))
    context = public_notice_context(notice)
    row = context["sections"][0]["rows"][0]

    def render(rows):
        context["sections"][0]["rows"] = [row] * rows
        return render_pdf("verification/pdf/public_notice.html", context)

    marker = "洗新乡人民政府"
    page = page_holding(spill_point(render, 1, 60, marker), marker)
    assert row["name"] in page and "580.00" in page
