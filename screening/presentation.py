"""Turn a stored verdict into what the household page shows: reasons, flags, the arithmetic."""

from __future__ import annotations

from decimal import Decimal

from .labels import GROUP_LABELS, MONEY_PARAMETERS, PARAM_LABELS, RATE_PARAMETERS, flag_label
from .rules import EMPLOYMENT_COST_SCOPE_LABELS, INCOME_KIND_LABELS, INCOME_SOURCE_LABELS


def _money(text) -> Decimal | None:
    return None if text in (None, "") else Decimal(text)


def _percent(rate: str) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def explanation(data: dict) -> dict:
    """Reasons, flags, groups and the computation of a verdict's `data` (Verdict.to_dict())."""
    comp = data.get("computation") or {}
    members = comp.get("members", [])
    names = {m["key"]: m["name"] for m in members}
    incomes = [
        {
            "member": names.get(line["member_key"], "全家") if line["member_key"] else "全家",
            "kind": INCOME_KIND_LABELS.get(line["kind"], line["kind"]),
            "source": INCOME_SOURCE_LABELS.get(line["source"], line["source"]),
            "amount": _money(line["amount"]),
            "period_months": line["period_months"],
            "annual_amount": _money(line["annual_amount"]),
            "counted": line["counted"],
            "note": line.get("reason_label") or "",
            "imputed": line["source"] == "imputed",
        }
        for line in comp.get("incomes", [])
    ]
    reasons = data.get("reasons", [])
    return {
        "reasons": [r for r in reasons if not r["code"].startswith("priority_group_")],
        "group_reasons": [r for r in reasons if r["code"].startswith("priority_group_")],
        "flags": [dict(f, label=flag_label(f["code"])) for f in data.get("flags", [])],
        "groups": [GROUP_LABELS[g] for g in data.get("priority_groups", []) if g in GROUP_LABELS],
        "members": members,
        "counted_members": [m for m in members if m["counted"]],
        "excluded_members": [m for m in members if not m["counted"]],
        "incomes": incomes,
        "wage_gross": _money(comp.get("wage_gross")),
        "employment_cost_rate": _percent(comp["employment_cost_rate"]) if comp else "",
        "employment_cost_deduction": _money(comp.get("employment_cost_deduction")),
        "employment_cost_scope": EMPLOYMENT_COST_SCOPE_LABELS.get(
            comp.get("employment_cost_scope", "all"), ""
        ),
        "total_annual_income": _money(comp.get("total_annual_income")),
        "member_count": comp.get("member_count", 0),
        "per_capita_income": _money(data.get("per_capita_income")),
        "income_period_months": comp.get("income_period_months"),
        "extreme_poverty_candidates": [
            names.get(k, k) for k in data.get("extreme_poverty_candidates", [])
        ],
    }


def parameters(params: dict) -> list[tuple[str, str]]:
    """The stored policy snapshot as (label, value) rows, in reading order (money as 6,972.00)."""
    return [
        (label, format_parameter(name, params[name]))
        for name, label in PARAM_LABELS.items()
        if name in params
    ]


def format_parameter(name: str, value) -> str:
    if name in MONEY_PARAMETERS:
        return f"{Decimal(value):,.2f}"
    if name in RATE_PARAMETERS:
        return _percent(value)
    if name == "employment_cost_scope":
        return EMPLOYMENT_COST_SCOPE_LABELS.get(value, str(value))
    return str(value)
