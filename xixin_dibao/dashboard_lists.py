"""The households behind each dashboard figure (民政办's drill-down lists).

Each list uses the very condition that counted the figure (xixin_dibao.dashboard), so a list
always holds exactly the households its number counts.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q

from households.models import Household, PriorityGroupRecord, surveyed_condition

from . import clock
from .dashboard import (
    EXIT_REASONS,
    GROUPS,
    case_conditions,
    case_queryset,
    dibao_member_queryset,
    exited_households_queryset,
    household_conditions,
    household_queryset,
)

# Person counts list the households those persons belong to.
PERSON_TO_HOUSEHOLD_KEY = {
    "now_persons": "now_households",
    "entries_persons": "decision_include_dibao",
    "entries_pending_persons": "entries_pending_households",
    "exits_review_persons": "decision_exit",
    "exits_auto_persons": "auto_exit",
    "exits_pending_persons": "exits_pending_households",
}


def drill_keys() -> set[str]:
    """Figure keys that have a list of households behind them."""
    keys = {k for k in household_conditions(True, True) if not k.startswith("_")}
    keys |= set(case_conditions()) | set(PERSON_TO_HOUSEHOLD_KEY)
    keys |= {"outreach_pending", "outreach_overdue", "verification_overdue"}
    keys |= {"exits_registry_households", "exits_registry_persons"}
    for reason in EXIT_REASONS:
        keys |= {f"exits_registry_households_{reason}", f"exits_registry_persons_{reason}"}
    for g in GROUPS:
        keys |= {f"group_{g}", f"group_{g}_screened"}
    return keys


def household_ids(campaign, key: str, today: date | None = None):
    """A flat queryset of the pks of the households behind figure `key` (None if it has none)."""
    today = today or clock.today()
    key = PERSON_TO_HOUSEHOLD_KEY.get(key, key)
    if key not in drill_keys():
        return None
    qs, has_results, has_cases = household_queryset(campaign, today)
    conditions = household_conditions(has_results, has_cases)
    if key in conditions:
        return qs.filter(conditions[key]).values_list("pk", flat=True)
    if key in ("outreach_pending", "outreach_overdue"):
        if key == "outreach_overdue" and today <= campaign.outreach_deadline:
            return Household.objects.none().values_list("pk", flat=True)
        done = qs.filter(conditions["outreach_done"]).values("pk")
        return (
            qs.filter(conditions["outreach_due"]).exclude(pk__in=done).values_list("pk", flat=True)
        )
    if key.startswith("group_"):
        g = int(key.split("_")[1])
        cond = conditions[f"_computed_{g}"] | Q(
            Exists(PriorityGroupRecord.objects.filter(household=OuterRef("pk"), group=g))
        )
        if key.endswith("_screened"):
            cond &= surveyed_condition()
        return qs.filter(cond).values_list("pk", flat=True)
    if key.startswith("exits_registry_"):
        return _exit_household_ids(campaign, key, today)
    return _case_household_ids(campaign, key, today)


def _exit_household_ids(campaign, key: str, today: date):
    unit, _, reason = key.removeprefix("exits_registry_").partition("_")
    if unit == "households":
        qs = exited_households_queryset(campaign, today)
        field = "pk"
    else:
        qs = dibao_member_queryset(campaign, today).filter(
            on_dibao=False, exit_reason__isnull=False
        )
        field = "household_id"
    if reason:
        qs = qs.filter(exit_reason="" if reason == "none" else reason)
    return qs.values_list(field, flat=True)


def _case_household_ids(campaign, key: str, today: date):
    cases = case_queryset(campaign)
    if cases is None:
        return Household.objects.none().values_list("pk", flat=True)
    if key == "verification_overdue":
        if today <= campaign.verification_cutoff:
            return Household.objects.none().values_list("pk", flat=True)
        key = "verification_open"
    return cases.filter(case_conditions()[key]).values_list("household_id", flat=True)
