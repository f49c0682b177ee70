"""The employment-cost deduction's scope (rules.md §1.2; issue 18 point 1): every wage earner,
members working away, or only a sole earner working away; the same households under each."""

from dataclasses import replace
from decimal import Decimal

import pytest

from screening.registry import policy_from_dict, policy_to_dict
from screening.rules import (
    ALL_WAGE_EARNERS,
    EMPLOYMENT_COST_SCOPE_LABELS,
    SOLE_EARNER_AWAY,
    WORKING_AWAY,
    CampaignPolicy,
    Computation,
    HouseholdFacts,
    IncomeFacts,
    MemberFacts,
    Verdict,
    evaluate,
)

POLICY = CampaignPolicy.default_2022()


def _member(key, name, **kw):
    return MemberFacts(key=key, name=name, **kw)


def _wage(key, member_key, amount):
    return IncomeFacts(key=key, member_key=member_key, kind="wage", amount=Decimal(amount))


# One away earner (20,000) and one local earner (10,000) and a farmer (3,000 operating).
TWO_EARNERS = HouseholdFacts(
    key="two",
    members=(
        _member("a", "张外出", employed=True, works_away=True),
        _member("b", "李本地", employed=True),
        _member("c", "王务农"),
    ),
    incomes=(
        _wage("i1", "a", "20000"),
        _wage("i2", "b", "10000"),
        IncomeFacts(key="i3", member_key="c", kind="operating", amount=Decimal("3000")),
    ),
)
# The only worker works away (seed group 10).
SOLE_AWAY = HouseholdFacts(
    key="sole",
    members=(_member("a", "赵在外", employed=True, works_away=True), _member("b", "钱在家")),
    incomes=(_wage("i1", "a", "12000"),),
)
# The only worker works locally.
SOLE_LOCAL = HouseholdFacts(
    key="local",
    members=(_member("a", "孙本地", employed=True), _member("b", "周在家")),
    incomes=(_wage("i1", "a", "12000"),),
)
# A worker away without proof of pay: the imputed minimum wage is his wage.
IMPUTED_AWAY = HouseholdFacts(
    key="imputed",
    members=(
        _member("a", "吴无证明", stable_employment_no_proof=True, works_away=True),
        _member("b", "郑在家"),
    ),
)


@pytest.mark.parametrize(
    ("facts", "scope", "base", "deduction", "members"),
    [
        (TWO_EARNERS, ALL_WAGE_EARNERS, "30000", "9000.00", ("a", "b")),
        (TWO_EARNERS, WORKING_AWAY, "20000", "6000.00", ("a",)),
        (TWO_EARNERS, SOLE_EARNER_AWAY, "0", "0.00", ()),
        (SOLE_AWAY, ALL_WAGE_EARNERS, "12000", "3600.00", ("a",)),
        (SOLE_AWAY, WORKING_AWAY, "12000", "3600.00", ("a",)),
        (SOLE_AWAY, SOLE_EARNER_AWAY, "12000", "3600.00", ("a",)),
        (SOLE_LOCAL, ALL_WAGE_EARNERS, "12000", "3600.00", ("a",)),
        (SOLE_LOCAL, WORKING_AWAY, "0", "0.00", ()),
        (SOLE_LOCAL, SOLE_EARNER_AWAY, "0", "0.00", ()),
        (IMPUTED_AWAY, ALL_WAGE_EARNERS, "24000", "7200.00", ("a",)),
        (IMPUTED_AWAY, WORKING_AWAY, "24000", "7200.00", ("a",)),
        (IMPUTED_AWAY, SOLE_EARNER_AWAY, "24000", "7200.00", ("a",)),
    ],
)
def test_each_scope_deducts_from_the_wages_it_covers(facts, scope, base, deduction, members):
    verdict = evaluate(facts, replace(POLICY, employment_cost_scope=scope))
    comp = verdict.computation
    assert comp.employment_cost_scope == scope
    assert comp.employment_cost_base == Decimal(base)
    assert comp.employment_cost_deduction == Decimal(deduction)
    assert comp.employment_cost_members == members
    counted = sum(i.annual_amount for i in comp.incomes if i.counted)
    assert comp.total_annual_income == counted - Decimal(deduction)


def test_the_explanation_names_the_scope_who_is_in_it_and_who_is_not_with_the_clause():
    verdict = evaluate(TWO_EARNERS, replace(POLICY, employment_cost_scope=WORKING_AWAY))
    reason = next(r for r in verdict.reasons if r.code == "employment_cost_deducted")
    assert "扣减范围为“外出务工的成员”（工作方案参数），扣减比例 30%" in reason.message
    assert "张外出（外出务工）在扣减范围内：工资性收入 20,000.00 元，扣除 6,000.00 元" in (
        reason.message
    )
    assert "李本地（本地或未外出）不在扣减范围内，工资性收入不扣除" in reason.message
    assert "第十三条" in reason.clause and "工作方案" in reason.clause
    assert reason.numbers["scope"] == WORKING_AWAY and reason.numbers["members"] == "a"


def test_a_scope_that_covers_no_one_says_so_instead_of_staying_silent():
    verdict = evaluate(TWO_EARNERS, replace(POLICY, employment_cost_scope=SOLE_EARNER_AWAY))
    reason = next(r for r in verdict.reasons if r.code.startswith("employment_cost"))
    assert reason.code == "employment_cost_not_deducted"
    assert "仅在外务工的家庭唯一劳动力" in reason.message
    assert "张外出（外出务工）、李本地（本地或未外出）不在扣减范围内" in reason.message


def test_every_scope_has_a_label_and_the_campaign_offers_the_same_choices():
    from households.models import Campaign

    choices = dict(Campaign._meta.get_field("employment_cost_scope").choices)
    assert choices == EMPLOYMENT_COST_SCOPE_LABELS
    assert Campaign._meta.get_field("employment_cost_scope").default == ALL_WAGE_EARNERS


def test_an_unknown_scope_is_refused_in_chinese():
    with pytest.raises(ValueError, match="未知的就业成本扣减范围：nobody"):
        replace(POLICY, employment_cost_scope="nobody")


def test_the_scope_survives_the_policy_snapshot_and_the_stored_verdict():
    policy = replace(POLICY, employment_cost_scope=WORKING_AWAY)
    assert policy_from_dict(policy_to_dict(policy)) == policy
    verdict = evaluate(TWO_EARNERS, policy)
    assert Verdict.from_dict(verdict.to_dict()) == verdict
    # A verdict stored before the scope existed deducted from every wage.
    old = verdict.to_dict()["computation"]
    for key in ("employment_cost_scope", "employment_cost_base", "employment_cost_members"):
        old.pop(key)
    restored = Computation.from_dict(old)
    assert restored.employment_cost_scope == ALL_WAGE_EARNERS
    assert restored.employment_cost_base == restored.wage_gross


def test_a_snapshot_without_the_scope_keeps_the_default():
    data = policy_to_dict(POLICY)
    del data["employment_cost_scope"]
    assert policy_from_dict(data).employment_cost_scope == ALL_WAGE_EARNERS


def test_the_rule_set_version_is_derived_from_the_rule_sources(tmp_path, monkeypatch):
    """Changing a rule changes the version (stored verdicts re-screen); nobody bumps it."""
    import hashlib
    from pathlib import Path

    import screening.facts as facts_module
    from screening.rules import RULESET_VERSION

    here = Path(facts_module.__file__).parent
    digest = hashlib.blake2b(digest_size=4)
    for name in ("facts.py", "rules.py", "setbased.py"):
        digest.update((here / name).read_bytes())
    assert RULESET_VERSION == f"2022.{digest.hexdigest()}"
    assert len(RULESET_VERSION) <= 20  # ScreeningResult.ruleset_version

    for name in ("facts.py", "rules.py", "setbased.py"):
        (tmp_path / name).write_bytes((here / name).read_bytes())
    monkeypatch.setattr(facts_module, "__file__", str(tmp_path / "facts.py"))
    assert facts_module._ruleset_version() == RULESET_VERSION
    (tmp_path / "rules.py").write_bytes((here / "rules.py").read_bytes() + b"\n# a new clause\n")
    assert facts_module._ruleset_version() != RULESET_VERSION
