"""Issue 20.5: at 390×844 every page a village officer uses fits the phone screen.

No horizontal page scroll; the menu folds behind a 菜单 button (keyboard, aria-expanded) and
退出 is reachable once it is opened; form fields stack in one column; wide tables scroll
inside their own box, not the page.
"""

import re
from datetime import date
from decimal import Decimal

import pytest

from households.models import Asset, Income
from tests.factories import HouseholdFactory, IncomeFactory, MemberFactory, make_id_number
from verification.models import Case
from verification.states import State
from xixin_dibao.models import Job

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

FITS = """() => ({
  doc: document.documentElement.scrollWidth,
  body: document.body.scrollWidth,
  view: window.innerWidth,
  // For the failure message: the outermost elements sticking out on the right.
  wide: [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                 && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
    .slice(0, 5)
    .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + [...e.classList].join('.')),
})"""

# Every visible table in the page body: does it, or a box around it, scroll sideways?
TABLES = """() => [...document.querySelectorAll('main table')]
  .filter(t => t.getClientRects().length && !t.closest('template'))
  .map(t => {
    let box = t;
    while (box && box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX))
      box = box.parentElement;
    const scroller = box && box !== document.body ? box : null;
    const r = (scroller || t).getBoundingClientRect();
    return {scroller: !!scroller, right: r.right, overflows: t.scrollWidth > t.clientWidth
            || (scroller && scroller.scrollWidth > scroller.clientWidth)};
  })"""

# Consecutive visible form fields outside tables: each starts below the one before.
FIELDS = """() => {
  const boxes = [...document.querySelectorAll('main form .field')]
    .filter(f => f.getClientRects().length && !f.closest('table'))
    .map(f => f.getBoundingClientRect());
  const side = [];
  for (let i = 1; i < boxes.length; i++)
    if (boxes[i].top < boxes[i - 1].bottom - 1 && boxes[i].left !== boxes[i - 1].left) side.push(i);
  return {count: boxes.length, side};
}"""


@pytest.fixture
def officer_pages(campaign, village_a, officer_a):
    """A household with members, incomes and an asset, its open case and a finished job."""
    village_a.township = campaign.township
    village_a.save()
    household = HouseholdFactory(
        village=village_a,
        code=f"{village_a.code}-0007",
        head_name="谭德福",
        address="洗新乡保合村3组17号（老粮站旁边的两层砖房）",
        phone="13800000000",
    )
    head = MemberFactory(
        household=household, name="谭德福", id_number=make_id_number(date(1968, 3, 1))
    )
    MemberFactory(
        household=household,
        name="秦玉兰",
        relation="spouse",
        id_number=make_id_number(date(1970, 7, 9), female=True),
    )
    IncomeFactory(household=household, member=head, amount=Decimal("9600"), source="务工收入")
    Income.objects.create(
        household=household, kind="wage", amount=Decimal("3000"), period_months=12
    )
    Asset.objects.create(household=household, kind="house", value=Decimal("80000"))
    case = Case.objects.create(
        campaign=campaign,
        household=household,
        source="new_candidate",
        state=State.PENDING_VERIFICATION,
    )
    job = Job.objects.create(
        kind="import",
        title="导入家庭台账",
        owner=officer_a,
        status=Job.Status.DONE,
        total=12,
        done=12,
        message="已导入 12 户",
    )
    return {
        "本村待办": "/todo/",
        "家庭台账": "/households/",
        "家庭详情": f"/households/{household.pk}/",
        "编辑家庭": f"/households/{household.pk}/edit/",
        "登记新家庭": "/households/new/",
        "导入台账": "/households/import/",
        "已撤回家庭": "/households/withdrawn/",
        "核查审核": "/verification/",
        "核查详情": f"/verification/cases/{case.pk}/",
        "入户调查": f"/verification/cases/{case.pk}/visits/new/",
        "档案与花名册": "/archives/",
        "一户一档": f"/archives/households/{household.pk}/",
        "后台任务": f"/jobs/{job.token}/",
        "修改密码": "/password/",
    }


def test_every_officer_page_fits_a_390px_phone(journey, officer_pages):
    j = journey()
    j.page.set_viewport_size(PHONE)
    page = j.login("officer_a")
    overflowing_tables, forms_checked = 0, 0
    for name, path in officer_pages.items():
        response = page.goto(j.base + path)
        page.wait_for_load_state()
        assert response.status < 400, f"{name} {path}: HTTP {response.status}"
        j.shot(re.sub(r"\W+", "-", name))
        fits = page.evaluate(FITS)
        assert fits["doc"] <= fits["view"] and fits["body"] <= fits["view"], (
            f"{name} {path} 比屏幕宽：{fits}"
        )

        # The menu is folded: only the 菜单 button shows; 退出 is hidden until it is opened.
        toggle = page.locator("button.nav-toggle")
        assert toggle.is_visible(), f"{name}：没有菜单按钮"
        assert toggle.get_attribute("aria-expanded") == "false"
        logout = page.get_by_role("button", name="退出")
        assert not logout.is_visible(), f"{name}：菜单没有收起"

        for table in page.evaluate(TABLES):
            assert table["scroller"], f"{name}：表格外没有可横向滚动的容器"
            assert table["right"] <= PHONE["width"] + 0.5, f"{name}：表格容器超出屏幕 {table}"
            overflowing_tables += bool(table["overflows"])

        fields = page.evaluate(FIELDS)
        assert not fields["side"], f"{name}：表单字段并排（第 {fields['side']} 个）"
        forms_checked += fields["count"] >= 2

    # The checks above saw real wide tables and real forms (they would pass on empty pages).
    assert overflowing_tables >= 3, overflowing_tables
    assert forms_checked >= 3, forms_checked

    # Keyboard: Tab reaches 菜单, Enter opens it, 退出 is shown and works.
    page.goto(j.base + "/households/")
    for _ in range(10):
        if page.evaluate("() => document.activeElement.classList.contains('nav-toggle')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('nav-toggle')")
    page.keyboard.press("Enter")
    assert page.locator("button.nav-toggle").get_attribute("aria-expanded") == "true"
    logout = page.get_by_role("button", name="退出")
    assert logout.is_visible()
    assert page.get_by_role("link", name="修改密码").is_visible()
    fits = page.evaluate(FITS)
    assert fits["doc"] <= fits["view"], fits
    j.shot("menu-open")
    logout.click()
    page.wait_for_load_state()
    assert "/login/" in page.url
