"""Issue 19.11 in Chromium: each role's main pages under the Content-Security-Policy.

No CSP violation (the journey fixture fails on any: tests/e2e/conftest.py), and the pages'
scripts and styles still work: dynamic formset rows, the ID check, the what-if unit conversion,
the agenda's tick, the job page's polling bar, the dashboard's stylesheet and charts, the
printable notice's nonce'd <style>, the admin export page's "select all". The server-side checks
(every page's header and markup, every template) are in tests/security/test_csp.py.
"""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.dashboard.conftest import dataset, today  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_each_roles_main_pages_run_under_the_policy(
    journey,
    dataset,  # noqa: F811
    campaign,
    village_a,
    officer_a,
    leader,
):
    from households.models import Household
    from tests.factories import UserFactory
    from tests.verification.factories import (
        DecisionFactory,
        MeetingFactory,
        make_case,
        notice_for,
    )
    from verification.models import ReviewDecision
    from verification.states import State
    from xixin_dibao.models import Job

    office = UserFactory(username="office_csp", role="office", township=village_a.township)
    UserFactory(username="admin_csp", role="admin", is_staff=True)
    household = Household.objects.filter(village=village_a).first()
    meeting = MeetingFactory(campaign=campaign)
    agenda_case = make_case(village_a, campaign, state=State.PENDING_REVIEW)
    item = ReviewDecision.objects.create(
        meeting=meeting, case=agenda_case, position=1, is_current=False
    )
    noticed = make_case(village_a, campaign, state=State.REVIEWED)
    notice, _ = notice_for(noticed, DecisionFactory(case=noticed))
    job = Job.objects.create(
        kind="export", title="导出家庭台账", owner=office, status="running", total=4, done=1
    )

    # A village officer: the household list, the household form with its dynamic rows.
    j = journey("csp-officer")
    page = j.login(officer_a.username)
    for path in ("/todo/", "/households/", household.get_absolute_url(), "/verification/"):
        page.goto(j.base + path)
        assert page.locator("main").count() == 1, path
    page.goto(j.base + "/households/new/")
    members = page.locator("[data-formset=members] tbody tr")
    before = members.count()
    page.click("[data-formset=members] [data-add-row]")
    assert members.count() == before + 1  # app.js cloned the empty row
    assert page.evaluate("document.activeElement.id") == f"id_members-{before}-name"
    page.fill(f"#id_members-{before}-id_number", "110101199003070012")  # wrong check digit
    expect(page.locator(".dup-warning").nth(before)).to_contain_text("校验位")
    incomes = page.locator("[data-formset=incomes] tbody tr")
    rows = incomes.count()
    page.click("[data-formset=incomes] [data-add-row]")
    assert incomes.count() == rows + 1
    assert page.input_value("#id_incomes-TOTAL_FORMS") == str(rows + 1)
    j.shot("household-form-rows-added")

    # The office: screening, cases, the meeting agenda, the printable notice, a job.
    o = journey("csp-office")
    page = o.login(office.username)
    for path in ("/screening/", "/verification/", "/archives/"):
        page.goto(o.base + path)
        assert page.locator("main").count() == 1, path
    page.goto(o.base + reverse("screening:what_if"))
    page.fill("input[name=standard]", "600")
    expect(page.locator("[data-standard-other]")).to_contain_text("7,200.00 元/人/年")
    page.goto(o.base + meeting.get_absolute_url())
    include = f"#id_item{item.pk}-include"
    page.uncheck(include)
    page.fill(f"#id_item{item.pk}-reasons", "人均收入低于标准")
    assert page.is_checked(include)  # typing into the row ticked its 本次决定
    o.shot("agenda")
    page.goto(o.base + reverse("verification:notice_print", args=[notice.pk]))
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "720px"  # nonce'd <style>
    page.goto(o.base + job.get_absolute_url())
    assert page.get_attribute(".bar rect", "width") == "25"
    Job.objects.filter(pk=job.pk).update(status="done", done=4, message="完成")
    expect(page.locator(".job-status")).to_contain_text("完成")
    assert page.get_attribute(".bar rect", "width") == "100"  # the poll redrew the bar
    o.shot("job-done")

    # The leadership: the dashboard's charts, with its stylesheet applied, and the bulletin.
    lead = journey("csp-leader")
    page = lead.login(leader.username)
    page.goto(lead.base + "/dashboard/")
    assert page.locator("svg.chart").count() == 3
    assert page.evaluate("getComputedStyle(document.querySelector('.chart-grid')).display") == (
        "grid"
    )
    page.goto(lead.base + "/dashboard/bulletin/")
    assert page.locator("article.doc").count() == 1
    lead.shot("bulletin")

    # The system administrator: the admin site and the customised export page.
    a = journey("csp-admin")
    page = a.login("admin_csp")
    page.goto(a.base + reverse("admin:households_township_changelist"))
    page.goto(a.base + reverse("admin:households_township_export"))
    boxes = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert boxes.count() > 1
    page.uncheck("input.select-toggle")
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.check("input.select-toggle")
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert page.evaluate(
        "getComputedStyle(document.querySelector('label.select-all-label')).fontWeight"
    ) in ("700", "bold")
    a.shot("admin-export")

    violations = [v for each in (j, o, lead, a) for v in each.csp_violations]
    assert not violations, violations
