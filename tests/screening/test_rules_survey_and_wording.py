"""Issue 18 points 2 and 7: no silent 低保 on an incomplete survey (未登记收入), and
explanations a reviewer can read aloud (单人户 date, 特困 reasons, one-person wording, group 10)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from screening.rules import (
    CampaignPolicy,
    HouseholdFacts,
    IncomeFacts,
    MemberFacts,
    Outcome,
    evaluate,
)

POLICY = CampaignPolicy.default_2022()  # as of 2022-10-25
ADULT, ELDER, CHILD = date(1980, 1, 1), date(1950, 1, 1), date(2012, 1, 1)


def member(key="a", born=ADULT, **kw):
    return MemberFacts(key=key, name=kw.pop("name", f"成员{key}"), birth_date=born, **kw)


def home(*members, incomes=()):
    return HouseholdFacts(key="h", members=members, incomes=tuple(incomes))


def line(kind="operating", member_key="a", amount="1000"):
    return IncomeFacts(
        key=f"{kind}{member_key}", member_key=member_key, kind=kind, amount=Decimal(amount)
    )


# --- point 2: 未登记收入 -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "flagged", "outcome"),
    [
        # A working-age member able to work and no income line at all: review, never 低保.
        (home(member(name="甲")), ("a",), Outcome.MANUAL_REVIEW),
        (home(member(work_capacity="partial")), ("a",), Outcome.MANUAL_REVIEW),
        (home(member(), member("b", born=ELDER)), ("a",), Outcome.MANUAL_REVIEW),
        # Nobody expected to earn: an elder, a child, a student, no work capacity.
        (home(member(born=ELDER)), (), Outcome.DIBAO),
        (home(member(born=CHILD)), (), Outcome.DIBAO),
        (home(member(student=True)), (), Outcome.DIBAO),
        (home(member(work_capacity="none")), (), Outcome.DIBAO),
        # Any income line, even one not counted, or an imputed wage: the survey asked.
        (home(member(), incomes=[line("basic_pension")]), (), Outcome.DIBAO),
        (home(member(), incomes=[line(amount="0")]), (), Outcome.DIBAO),
        (home(member(stable_employment_no_proof=True)), (), Outcome.NOT_ELIGIBLE),
        # A member not counted (in prison) is not asked about.
        (home(member(exclusion_reason="prison"), member("b", born=ELDER)), (), Outcome.DIBAO),
    ],
)
def test_no_income_line_with_an_able_working_age_member_is_sent_to_review(facts, flagged, outcome):
    verdict = evaluate(facts, POLICY)
    flags = [f for f in verdict.flags if f.code == "income_not_registered"]
    assert verdict.outcome == outcome
    if flagged:
        [flag] = flags
        assert flag.blocking
        assert flag.message.startswith("全家没有登记任何收入，而 ")
        assert flag.numbers["members"] == ",".join(flagged)
        assert verdict.monthly_amount is None
    else:
        assert flags == []


def test_the_flag_names_every_member_concerned():
    facts = home(member("a", name="张三"), member("b", name="李四"), member("c", born=ELDER))
    [flag] = [f for f in evaluate(facts, POLICY).flags if f.code == "income_not_registered"]
    assert "而 张三、李四 处于劳动年龄" in flag.message
    assert "成员c" not in flag.message


def test_the_working_age_bounds_follow_the_policy():
    sixty_today = member(born=date(1962, 10, 25))
    sixteen_today = member(born=date(2006, 10, 25))
    assert evaluate(home(sixty_today), POLICY).outcome == Outcome.DIBAO
    assert evaluate(home(sixteen_today), POLICY).outcome == Outcome.MANUAL_REVIEW
    older = replace(POLICY, elderly_age=65)
    assert evaluate(home(sixty_today), older).outcome == Outcome.MANUAL_REVIEW


# --- point 7: explanations ------------------------------------------------------------------


def test_the_single_person_flag_gives_the_members_own_start_date():
    single = member(
        "a", name="王单", on_dibao=True, dibao_single_person=True, dibao_start=date(2021, 6, 1)
    )
    facts = home(single, member("b", name="王家"), incomes=[line(member_key="b", amount="30000")])
    [flag] = [f for f in evaluate(facts, POLICY).flags if f.code.startswith("single_person")]
    assert "王单于 2021-06-01 按“单人户”纳入低保" in flag.message
    assert "自 2021-01-01 以来" not in flag.message
    assert flag.numbers["dibao_start"] == "2021-06-01"


@pytest.mark.parametrize(
    ("kw", "reason", "recorded"),
    [
        (
            {"born": date(1955, 3, 1), "work_capacity": "full"},
            "年满 60 周岁（67 岁）",
            "有劳动能力",
        ),
        (
            {"born": date(2012, 3, 1), "work_capacity": "none"},
            "未满 16 周岁（10 岁）",
            "无劳动能力",
        ),
        (
            {"disability_kind": "intellectual", "disability_grade": 3, "work_capacity": "none"},
            "智力残疾 3 级",
            "无劳动能力",
        ),
    ],
)
def test_the_extreme_poverty_flag_states_the_real_reason(kw, reason, recorded):
    person = member(name="老刘", has_able_supporter=False, **kw)
    facts = home(person, incomes=[line(amount="1000")])
    [flag] = [f for f in evaluate(facts, POLICY).flags if f.code == "extreme_poverty_candidate"]
    assert f"老刘（{reason}；登记的劳动能力为“{recorded}”" in flag.message
    assert "没有具备赡养（抚养、扶养）能力的法定义务人" in flag.message
    assert "低于低保标准 6,972.00 元" in flag.message


def test_the_extreme_poverty_flag_never_says_unable_to_work_against_the_record():
    person = member(name="老刘", born=date(1955, 3, 1), has_able_supporter=False)
    facts = home(person, incomes=[line(amount="1000")])
    [flag] = [f for f in evaluate(facts, POLICY).flags if f.code == "extreme_poverty_candidate"]
    assert "无劳动能力" not in flag.message
    assert "请核实" in flag.message


def test_a_one_person_household_is_not_told_to_bring_in_the_whole_family():
    one = evaluate(home(member(born=ELDER), incomes=[line(amount="1000")]), POLICY)
    assert "whole_family_dibao" not in {r.code for r in one.reasons}
    assert not any("1 名" in r.message for r in one.reasons)
    two = evaluate(
        home(member(born=ELDER), member("b", born=ELDER), incomes=[line(amount="1000")]), POLICY
    )
    [reason] = [r for r in two.reasons if r.code == "whole_family_dibao"]
    assert "2 名共同生活成员应整体纳入" in reason.message


def test_group_ten_title_and_its_deduction_sentence_agree():
    facts = home(
        member("a", name="赵在外", employed=True, works_away=True),
        member("b", born=ELDER),
        incomes=[IncomeFacts(key="w", member_key="a", kind="wage", amount=Decimal("12000"))],
    )
    [group] = [r for r in evaluate(facts, POLICY).reasons if r.code == "priority_group_10"]
    assert "未扣除就业成本" in group.message  # the seed's title
    assert "此类家庭以往未扣除必要就业成本，本次核算已按 30% 扣除 3,600.00 元" in group.message
    zero = evaluate(facts, replace(POLICY, employment_cost_rate=Decimal("0")))
    [group] = [r for r in zero.reasons if r.code == "priority_group_10"]
    assert "本次核算仍未扣除必要就业成本" in group.message
    assert "已按" not in group.message
