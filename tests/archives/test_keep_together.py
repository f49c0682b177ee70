"""Issue 20.11 for the dossier's own forms: the 申请人 signature keeps the 诚信承诺 and the row
printed before it, whatever the length of the application history."""

from datetime import date

import pytest

from archives.documents import _application_doc, collect_documents
from archives.pdf import render_document, render_html
from households.models import Application
from tests.documents import page_holding, spill_point
from tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


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
        html = render_html("pdf/dossier/dossier.html", {**context, "docs": [doc]})
        return render_document(html).write_pdf()

    marker = "申请人（签字或按手印）"
    page = page_holding(spill_point(render, 1, 60, marker), marker)
    assert "七、诚信承诺" in page and "本人承诺以上所填家庭成员" in page
    assert "经集体研究审核不予纳入" in page  # the last application row came along
