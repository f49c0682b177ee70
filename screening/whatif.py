"""What-if: evaluate the registry under other parameters and compare with the stored verdicts.

Nothing is written. The same chunked loading as bulk screening keeps the query count flat.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from households.models import Household
from xixin_dibao import clock

from .labels import PARAM_LABELS, outcome_label
from .models import ScreeningResult
from .presentation import format_parameter
from .registry import (
    chunk_querysets,
    facts_from_bundle,
    load_bundles,
    policy_from_campaign,
    policy_to_dict,
)
from .rules import CampaignPolicy, Outcome
from .verdicts import safe_evaluate


@dataclass(frozen=True)
class Change:
    household_id: int
    code: str
    head_name: str
    village: str
    before: str
    after: str
    before_income: Decimal | None
    after_income: Decimal | None

    @property
    def before_label(self) -> str:
        return outcome_label(self.before)

    @property
    def after_label(self) -> str:
        return outcome_label(self.after)


@dataclass
class VillageRow:
    code: str
    name: str
    households: int = 0
    changed: int = 0
    transitions: Counter = field(default_factory=Counter)

    @property
    def transition_list(self) -> list[tuple[str, str, int]]:
        return [
            (outcome_label(a), outcome_label(b), n)
            for (a, b), n in sorted(self.transitions.items())
        ]


@dataclass
class WhatIfReport:
    """Who would change outcome, from what to what, with counts by village."""

    policy: CampaignPolicy
    parameters: list[tuple[str, str, str]]  # (label, campaign value, what-if value)
    household_count: int = 0
    unscreened: int = 0
    changes: list[Change] = field(default_factory=list)
    villages: dict[str, VillageRow] = field(default_factory=dict)
    before: Counter = field(default_factory=Counter)
    after: Counter = field(default_factory=Counter)

    @property
    def by_village(self) -> list[VillageRow]:
        return [self.villages[k] for k in sorted(self.villages)]

    @property
    def transitions(self) -> list[tuple[str, str, int]]:
        total = Counter((c.before, c.after) for c in self.changes)
        return [(outcome_label(a), outcome_label(b), n) for (a, b), n in sorted(total.items())]

    @property
    def outcome_rows(self) -> list[OutcomeTile]:
        """Per outcome: households now, under the what-if, and the moves in and out, counted
        over the same households as the list of changes (those with a stored verdict)."""
        moved_in = Counter(c.after for c in self.changes)
        moved_out = Counter(c.before for c in self.changes)
        return [
            OutcomeTile(
                o.value, outcome_label(o), self.before[o], self.after[o], moved_in[o], moved_out[o]
            )
            for o in Outcome
        ]


@dataclass(frozen=True)
class OutcomeTile:
    value: str
    label: str
    before: int
    after: int
    moved_in: int
    moved_out: int


def _parameters(base: CampaignPolicy, other: CampaignPolicy) -> list[tuple[str, str, str]]:
    old, new = policy_to_dict(base), policy_to_dict(other)
    return [
        (label, format_parameter(name, old[name]), format_parameter(name, new[name]))
        for name, label in PARAM_LABELS.items()
        if old.get(name) != new.get(name)
    ]


def what_if(*, campaign, overrides: dict, user) -> WhatIfReport:
    """Screen the user's visible households under `overrides` without saving anything.

    Raises ValueError (Chinese message) when the overrides make an invalid policy.
    """
    as_of = clock.today()
    policy = policy_from_campaign(campaign, as_of=as_of, overrides=overrides)
    report = WhatIfReport(
        policy=policy,
        parameters=_parameters(policy_from_campaign(campaign, as_of=as_of), policy),
    )
    visible = Household.objects.for_user(user).filter(village__township_id=campaign.township_id)
    ids = list(visible.order_by("pk").values_list("pk", flat=True))
    for households in chunk_querysets(visible, ids):
        _compare_chunk(report, campaign, households, as_of)
    report.changes.sort(key=lambda c: (c.village, c.code))
    return report


def _compare_chunk(report: WhatIfReport, campaign, households, as_of) -> None:
    stored = {
        pk: (outcome, income)
        for pk, outcome, income in ScreeningResult.objects.filter(
            campaign=campaign,
            is_current=True,
            household_id__in=households.order_by().values("pk"),
        ).values_list("household_id", "outcome", "per_capita_income")
    }
    info = {
        row[0]: row[1:]
        for row in households.values_list(
            "pk", "code", "head_name", "village__code", "village__name"
        )
    }
    for pk, bundle in load_bundles(households).items():
        verdict = safe_evaluate(lambda b=bundle: facts_from_bundle(b, as_of), report.policy)
        code, head_name, village_code, village_name = info[pk]
        row = report.villages.setdefault(village_code, VillageRow(village_code, village_name))
        row.households += 1
        report.household_count += 1
        after = verdict.outcome.value
        if pk not in stored:
            # Not compared: counted apart, so the tiles add up with the list of changes.
            report.unscreened += 1
            continue
        before, income = stored[pk]
        report.before[before] += 1
        report.after[after] += 1
        if before == after:
            continue
        row.changed += 1
        row.transitions[(before, after)] += 1
        report.changes.append(
            Change(
                pk,
                code,
                head_name,
                village_name,
                before,
                after,
                income,
                verdict.per_capita_income,
            )
        )
