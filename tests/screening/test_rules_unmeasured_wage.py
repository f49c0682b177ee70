"""Issue 18 point 3: a 公积金 found by 信息比对 with no wage declared is a wage of unknown
amount. The rules neither presume one nor judge the household eligible: 需人工复核, citing
the member and the mismatch."""

from datetime import date
from decimal import Decimal

import pytest

from screening.facts import (
    DATA_MATCH,
    UNMEASURED_WAGE_AMOUNT,
    CampaignPolicy,
    HouseholdFacts,
    IncomeFacts,
    MemberFacts,
    Outcome,
)
from screening.rules import evaluate

POLICY = CampaignPolicy.default_2022()
CODE = "housing_fund_wage_undeclared"


def member(key, name, **kw):
    return MemberFacts(key=key, name=name, birth_date=date(1980, 1, 1), **kw)


def income(key, member_key, kind, amount, source="declared"):
    return IncomeFacts(
        key=key, member_key=member_key, kind=kind, amount=Decimal(amount), source=source
    )


def matched_wage(member_key, amount=UNMEASURED_WAGE_AMOUNT):
    return income(f"dm{member_key}", member_key, "wage", amount, DATA_MATCH)


FARM = income("farm", "a", "operating", "1200")  # 1,200 元 a year: 低保 on its own


def member_b(**kw):
    return MemberFacts(key="b", name="李四", birth_date=date(1950, 1, 1), **kw)


@pytest.mark.parametrize(
    ("members", "incomes", "flagged", "outcome"),
    [
        # Poor by declared income; the 公积金 member's wage unknown: review, not 低保.
        ((member("a", "张三"),), (FARM, matched_wage("a")), "a", Outcome.MANUAL_REVIEW),
        # Not eligible on declared income: still review (the flag blocks), never silent.
        (
            (member("a", "张三"),),
            (income("w", "a", "wage", "60000"), matched_wage("a")),
            "a",
            Outcome.MANUAL_REVIEW,
        ),
        # Stable work without proof AND the 公积金: the amount is still unknown, none presumed.
        (
            (member("a", "张三", stable_employment_no_proof=True),),
            (FARM, matched_wage("a")),
            "a",
            Outcome.MANUAL_REVIEW,
        ),
        # A member not counted (in prison): his pay is not the family's.
        (
            (member("a", "张三"), member_b(exclusion_reason="prison")),
            (FARM, matched_wage("b")),
            "",
            Outcome.DIBAO,
        ),
        # A 信息比对 wage with an amount is used as it is; a declared 0 wage is a declaration.
        ((member("a", "张三"),), (FARM, matched_wage("a", "100")), "", Outcome.DIBAO),
        ((member("a", "张三"),), (FARM, income("w0", "a", "wage", "0")), "", Outcome.DIBAO),
    ],
)
def test_a_matched_wage_without_amount_sends_to_review(members, incomes, flagged, outcome):
    verdict = evaluate(HouseholdFacts(key="h", members=members, incomes=incomes), POLICY)
    flags = [f for f in verdict.flags if f.code == CODE]
    assert verdict.outcome == outcome
    if flagged:
        [flag] = flags
        assert flag.blocking and flag.numbers["members"] == flagged
        assert verdict.monthly_amount is None
        # No wage presumed: the counted income is what was declared.
        assert not any(i.source == "imputed" for i in verdict.computation.incomes)
    else:
        assert flags == []


def test_the_flag_cites_the_member_and_the_mismatch():
    members = (member("a", "张三"), member("b", "李四"))
    incomes = (FARM, matched_wage("b"))
    [flag] = [f for f in evaluate(HouseholdFacts("h", members, incomes), POLICY).flags]
    assert flag.code == CODE
    assert "信息比对查到 李四 有住房公积金缴存记录" in flag.message
    assert "未申报其工资性收入" in flag.message and "张三" not in flag.message
    assert "第十七条" in flag.clause
