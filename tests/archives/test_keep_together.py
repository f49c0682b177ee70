"""Issue 20.11 for the dossier's own forms: their signature lines keep the rows printed before
them, whatever the length of the tables above."""

from datetime import date

import pytest

from archives.documents import _application_doc, _income_doc, collect_documents
from archives.pdf import render_document, render_html
from households.models import Application
from tests.documents import page_holding, spill_point
from tests.factories import HouseholdFactory, IncomeFactory, MemberFactory

pytestmark = pytest.mark.django_db


def dossier_pdf(context, doc) -> bytes:
    """One of the dossier's own forms laid out as in the dossier (its styles, its pages)."""
    html = render_html("pdf/dossier/dossier.html", {**context, "docs": [doc]})
    return render_document(html).write_pdf()


def test_application_signature_keeps_the_promise_and_the_last_row(village_a):
    household = HouseholdFactory(village=village_a)
    MemberFactory(household=household, relation="head")
    Application.objects.create(
        household=household,
        applied_on=date(2021, 3, 1),
        kind="dibao",
        outcome="refused",
        reason="家庭人均收入高于当年低保标准，经集体研究审核不予纳入。",
    )
    context, _ = collect_documents(household)
    applications = context["applications"]

    def render(rows):
        doc = _application_doc(household, {**context, "applications": applications * rows})
        return dossier_pdf(context, doc)

    marker = "申请人（签字或按手印）"
    page = page_holding(spill_point(render, 1, 60, marker), marker)
    assert "七、诚信承诺" in page and "本人承诺以上所填家庭成员" in page
    assert "经集体研究审核不予纳入" in page  # the last application row came along


def test_income_computation_signatures_keep_the_last_income_row(village_a):
    household = HouseholdFactory(village=village_a)
    member = MemberFactory(household=household, relation="head")
    IncomeFactory(household=household, member=member, note="在县城建筑工地务工，按月结算。")
    context, _ = collect_documents(household)
    incomes = context["incomes"]

    def render(rows):
        return dossier_pdf(context, _income_doc(household, {**context, "incomes": incomes * rows}))

    marker = "核算人"
    page = page_holding(spill_point(render, 1, 80, marker), marker)
    assert "按月结算" in page and "审核人" in page
