"""Issue 9.1: a typical household (four members, three incomes) entered with the keyboard alone."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from households.models import Household
from tests.factories import HouseholdFactory, MemberFactory, make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def tab_to(page, selector, limit=400):
    """Press Tab (only the keyboard) until the focused element matches `selector`."""
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab 键无法到达 {selector}")


def type_into(page, selector, text):
    tab_to(page, selector)
    page.keyboard.type(text)


def choose(page, selector, label_text):
    """Pick an option of a <select> with the arrow keys, as a keyboard user does."""
    tab_to(page, selector)
    target, current = page.evaluate(
        """([s, t]) => { const el = document.querySelector(s);
            const i = [...el.options].findIndex(o => o.text.includes(t));
            return [i, el.selectedIndex]; }""",
        [selector, label_text],
    )
    assert target >= 0, f"{selector} 没有“{label_text}”选项"
    key = "ArrowDown" if target > current else "ArrowUp"
    for _ in range(abs(target - current)):
        page.keyboard.press(key)
    assert label_text in page.evaluate(
        "s => document.querySelector(s).selectedOptions[0].text", selector
    )


def test_officer_enters_four_members_and_three_incomes_with_the_keyboard(
    journey, officer_a, village_a, village_b
):
    taken = MemberFactory(household=HouseholdFactory(village=village_b))
    people = [
        ("谭德福", date(1968, 3, 1), "户主"),
        ("秦玉兰", date(1970, 7, 9), "配偶"),
        ("谭小玥", date(2008, 5, 20), "子女"),
        ("谭大犇", date(1995, 1, 2), "子女"),
    ]
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/new/")
    page.focus("#id_head_name")  # the page opens; from here on only the keyboard is used
    page.keyboard.type("谭德福")
    type_into(page, "#id_address", "洗新乡保合村3组")
    for i, (name, born, relation) in enumerate(people):
        if i:
            tab_to(page, "[data-formset=members] [data-add-row]")
            page.keyboard.press("Enter")  # a new member row, no page reload
        type_into(page, f"#id_members-{i}-name", name)
        number = make_id_number(born, female=name in ("秦玉兰", "谭小玥"))
        if i == 3:
            # An ID registered in another village is flagged as it is typed, without details.
            tab_to(page, f"#id_members-{i}-id_number")
            page.keyboard.type(taken.id_number)
            # (expect, not wait_for_function: that evaluates a string, which the CSP refuses)
            expect(page.locator(".dup-warning").nth(i)).to_have_text(re.compile(r"\S"))
            warning = page.locator(".dup-warning").nth(i).inner_text()
            assert "其他村" in warning and taken.household.head_name not in warning
            j.shot("duplicate-id-flagged")
            for _ in range(18):
                page.keyboard.press("Backspace")
            page.keyboard.type(number)
        else:
            type_into(page, f"#id_members-{i}-id_number", number)
        assert page.input_value(f"#id_members-{i}-birth_date") == born.isoformat()
        choose(page, f"#id_members-{i}-relation", relation)
    for i, (member, amount) in enumerate(
        [("谭德福", "9600"), ("秦玉兰", "3000"), ("谭大犇", "24000")]
    ):
        tab_to(page, "[data-formset=incomes] [data-add-row]")
        page.keyboard.press("Enter")
        type_into(page, f"#id_incomes-{i}-member_name", member)
        choose(page, f"#id_incomes-{i}-kind", "工资性收入")
        type_into(page, f"#id_incomes-{i}-amount", amount)
    j.shot("filled-by-keyboard")
    tab_to(page, "button[type=submit]:not([name])")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    j.shot("saved")
    household = Household.objects.get(head_name="谭德福")
    assert household.members.count() == 4 and household.incomes.count() == 3
    assert household.members.get(name="秦玉兰").sex == "F"
    assert set(household.incomes.values_list("member__name", flat=True)) == {
        "谭德福",
        "秦玉兰",
        "谭大犇",
    }
