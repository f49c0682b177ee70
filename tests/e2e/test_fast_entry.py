"""Issue 20.6: a 3-person household from a paper form in at most 250 keystroke-equivalents.

Two incomes, one asset and one priority group. Each character typed counts one, each Tab,
Enter or arrow one, each click one. The ID number fills sex, birth date and age, and Tab
skips them; the first row is the 户主; members are co-resident with Chongqing 户籍 by default;
incomes name their member by number. Measure with:

    .venv/bin/python -m pytest tests/e2e/test_fast_entry.py -q -s
"""

from datetime import date
from decimal import Decimal

import pytest

from households.models import Household, PriorityGroup
from tests.factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUDGET = 250


class CountingInput:
    """The page's keyboard and mouse, counting every key press and click."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def type(self, text):
        self.count += len(text)
        self.page.keyboard.type(text)

    def press(self, key, times=1):
        for _ in range(times):
            self.count += 1
            self.page.keyboard.press(key)

    def click(self, selector):
        self.count += 1
        self.page.click(selector)

    def choose(self, selector, label_text):
        """Arrow keys on the focused <select> until `label_text` is picked."""
        assert self.focused() == selector.lstrip("#"), (self.focused(), selector)
        target, current = self.page.evaluate(
            """([s, t]) => { const el = document.querySelector(s);
                return [[...el.options].findIndex(o => o.text.includes(t)), el.selectedIndex]; }""",
            [selector, label_text],
        )
        assert target >= 0, f"{selector} 没有“{label_text}”选项"
        self.press("ArrowDown" if target > current else "ArrowUp", abs(target - current))

    def focused(self):
        return self.page.evaluate("() => document.activeElement.id")


def test_three_person_household_in_at_most_250_keystrokes(journey, officer_a, village_a):
    people = [
        ("谭德福", make_id_number(date(1968, 3, 1)), "户主"),
        ("秦玉兰", make_id_number(date(1970, 7, 9), female=True), "配偶"),
        ("谭小玥", make_id_number(date(2008, 5, 20), female=True), "子女"),
    ]
    j = journey()
    page = j.login("officer_a")
    page.goto(j.base + "/households/")
    keys = CountingInput(page)
    keys.click("a:has-text('登记新家庭')")
    page.wait_for_load_state()

    # 家庭基本情况, in the paper form's order: 户主姓名, 住址, (户籍类型), 联系电话.
    keys.click("#id_head_name")
    keys.type("谭德福")
    keys.press("Tab")
    keys.type("保合村3组17号")
    keys.press("Tab", 2)  # 户籍类型 keeps its default (农村)
    assert keys.focused() == "id_phone"
    keys.type("13896451234")
    keys.click(f"input[name=recorded_groups][value='{PriorityGroup.HARDSHIP.value}']")

    for i, (name, number, relation) in enumerate(people):
        if i:
            keys.click("[data-formset=members] [data-add-row]")  # focus lands on the new name
        else:
            keys.click("#id_members-0-name")
        assert keys.focused() == f"id_members-{i}-name"
        keys.type(name)
        keys.press("Tab")
        keys.type(number)
        # The ID filled sex, birth date and age; Tab skips them (and 无身份证号原因).
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert page.input_value(f"#id_members-{i}-birth_date") == born.isoformat()
        assert page.input_value(f"#id_members-{i}-sex") == (
            "F" if int(number[16]) % 2 == 0 else "M"
        )
        assert "岁" in page.locator(f"#id_members-{i}-birth_date ~ .id-age").inner_text()
        keys.press("Tab")
        assert keys.focused() == f"id_members-{i}-relation"
        keys.choose(f"#id_members-{i}-relation", relation)

    for i, (member_number, amount) in enumerate([("1", "9600"), ("2", "3000")]):
        keys.click("[data-formset=incomes] [data-add-row]")
        assert keys.focused() == f"id_incomes-{i}-member_name"
        keys.type(member_number)  # the member's number on the form, not the name
        keys.press("Tab")
        keys.choose(f"#id_incomes-{i}-kind", "工资性收入")
        keys.press("Tab")
        keys.type(amount)

    keys.click("[data-formset=assets] [data-add-row]")
    keys.press("Tab")  # 成员姓名 left blank: owned by the whole family
    keys.choose("#id_assets-0-kind", "住房")
    keys.press("Tab", 2)  # past 车辆类型
    assert keys.focused() == "id_assets-0-value"
    keys.type("80000")
    j.shot("filled")
    keys.click("button[data-save-default]")
    page.wait_for_load_state()
    j.shot("saved")

    print(f"\n3 人户（2 项收入、1 项财产、1 类重点人群）录入：{keys.count} 次按键/点击")
    household = Household.objects.get(head_name="谭德福")
    assert household.address == "保合村3组17号" and household.phone == "13896451234"
    members = {m.name: m for m in household.members.all()}
    assert set(members) == {"谭德福", "秦玉兰", "谭小玥"}
    for name, number, relation in people:
        member = members[name]
        assert member.id_number == number and member.get_relation_display() == relation
        assert member.birth_date == date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert member.exclusion == "" and member.chongqing_hukou  # co-resident, 重庆户籍
    assert members["秦玉兰"].sex == "F" and members["谭德福"].sex == "M"
    incomes = sorted(
        (i.member.name, i.kind, i.amount, i.period_months) for i in household.incomes.all()
    )
    assert incomes == [
        ("秦玉兰", "wage", Decimal("3000"), 12),
        ("谭德福", "wage", Decimal("9600"), 12),
    ]
    [asset] = household.assets.all()
    assert (asset.kind, asset.value, asset.member) == ("house", Decimal("80000"), None)
    assert list(household.group_records.values_list("group", flat=True)) == [PriorityGroup.HARDSHIP]
    assert keys.count <= BUDGET, keys.count
