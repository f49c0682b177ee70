"""Compare data-match results with what the household declared (pure Python, no Django).

《最低生活保障审核确认办法》第十七条、第十八条: the county matches vehicles, deposits, business
registrations, pensions, real estate and housing-fund records; a household whose declaration
disagrees is told and may dispute it. Each mismatch is listed on the case for the review meeting.
"""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Declared:
    """The household's declaration, totalled over all its members."""

    vehicles: int = 0
    deposits: Decimal = Decimal("0")
    has_business: bool = False
    pension_monthly: Decimal = Decimal("0")
    houses: int = 0
    wage_member_ids: frozenset[int] = field(default_factory=frozenset)
    household_wage: bool = False  # a wage income declared for the whole household


@dataclass(frozen=True)
class Matched:
    """One member's data-match result."""

    member_id: int
    name: str
    vehicles: int = 0
    deposits: Decimal = Decimal("0")
    business: str = ""
    pension_monthly: Decimal = Decimal("0")
    houses: int = 0
    housing_fund: bool = False


@dataclass(frozen=True)
class Mismatch:
    code: str
    label: str
    message: str


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _who(rows, attr, fmt) -> str:
    return "、".join(f"{r.name}{fmt(getattr(r, attr))}" for r in rows if getattr(r, attr))


def compare(declared: Declared, matched: list[Matched]) -> list[Mismatch]:
    """Every way the data match shows more than the household declared."""
    out = []
    vehicles = sum(r.vehicles for r in matched)
    if vehicles > declared.vehicles:
        who = _who(matched, "vehicles", lambda v: f"{v}辆")
        out.append(
            Mismatch(
                "vehicle",
                "未申报车辆",
                f"信息比对查到车辆 {vehicles} 辆（{who}），家庭申报 {declared.vehicles} 辆。",
            )
        )
    deposits = sum((r.deposits for r in matched), Decimal("0"))
    if deposits > declared.deposits:
        who = _who(matched, "deposits", lambda v: f"{_yuan(v)}元")
        out.append(
            Mismatch(
                "deposit",
                "存款超出申报",
                f"信息比对查到存款 {_yuan(deposits)} 元（{who}），"
                f"家庭申报 {_yuan(declared.deposits)} 元。",
            )
        )
    businesses = [r for r in matched if r.business]
    if businesses and not declared.has_business:
        who = "、".join(f"{r.name}（{r.business}）" for r in businesses)
        out.append(
            Mismatch("business", "未申报工商登记", f"信息比对查到工商登记：{who}，家庭未申报。")
        )
    pension = sum((r.pension_monthly for r in matched), Decimal("0"))
    if pension > declared.pension_monthly:
        who = _who(matched, "pension_monthly", lambda v: f"每月{_yuan(v)}元")
        out.append(
            Mismatch(
                "pension",
                "养老金超出申报",
                f"信息比对查到养老金每月 {_yuan(pension)} 元（{who}），"
                f"家庭申报每月 {_yuan(declared.pension_monthly)} 元。",
            )
        )
    houses = sum(r.houses for r in matched)
    if houses > declared.houses:
        who = _who(matched, "houses", lambda v: f"{v}套")
        out.append(
            Mismatch(
                "house",
                "房产超出申报",
                f"信息比对查到房产 {houses} 套（{who}），家庭申报 {declared.houses} 套。",
            )
        )
    if not declared.household_wage:
        fund = [
            r for r in matched if r.housing_fund and r.member_id not in declared.wage_member_ids
        ]
        if fund:
            names = "、".join(r.name for r in fund)
            out.append(
                Mismatch(
                    "housing_fund",
                    "有公积金缴存但未申报工资",
                    f"{names}有住房公积金缴存记录，但家庭未申报其工资性收入。",
                )
            )
    return out
