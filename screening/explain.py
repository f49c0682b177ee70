"""A stored verdict's full explanation: stored with it, or worked out again by the rules.

Verdicts written by the set-based path (screening.setbased) store their columns and the policy
snapshot but not the explanation. The reference rules recompute it from the registry and that
snapshot; `matches` says whether the recomputation reaches the stored columns, which it does
unless the household's data changed after the verdict (its re-screen then follows the save).
"""

from __future__ import annotations

from dataclasses import dataclass

from .registry import facts_for_households, policy_from_dict
from .setbased import VERDICT_COLUMNS
from .verdicts import codes_text, plain, safe_evaluate


@dataclass(frozen=True)
class Explained:
    data: dict
    stored: bool  # the explanation was stored with the verdict
    matches: bool  # the explanation leads to the stored verdict


def explained(result) -> Explained:
    """The explanation of `result` (a ScreeningResult)."""
    if result.data:
        return Explained(result.data, stored=True, matches=True)
    try:
        policy = policy_from_dict(result.policy_params)
    except (TypeError, ValueError, ArithmeticError):  # no usable snapshot: nothing to explain
        return Explained({}, stored=True, matches=True)
    facts = facts_for_households([result.household_id], as_of=result.as_of)
    verdict = safe_evaluate(lambda: facts[result.household_id], policy)
    stored = tuple(getattr(result, column) for column in VERDICT_COLUMNS)
    return Explained(plain(verdict), stored=False, matches=verdict_columns(verdict) == stored)


def verdict_columns(verdict) -> tuple:
    """The stored columns a verdict leads to (setbased.VERDICT_COLUMNS): outcome, per-capita
    income, members counted, monthly amount, near the line, 回头看, flag codes, group codes."""
    return (
        verdict.outcome.value,
        verdict.per_capita_income,
        verdict.computation.member_count,
        verdict.monthly_amount,
        verdict.near_line,
        verdict.lookback,
        codes_text([f.code for f in verdict.flags]),
        codes_text(sorted(verdict.priority_groups)),
    )
