"""Data-match findings become screening facts (source 信息比对), and the households re-screen.

《最低生活保障审核确认办法》第十七条、第十八条: what the county's match finds beyond the
declaration counts as the household's income and property. Each difference is written into the
registry as an Income or Asset row with source 信息比对, so both screening paths (Python rules and
the set-based SQL) read it like any other fact. A 公积金 record without a declared wage has no
usable amount: it is written as a 信息比对 wage line without an amount
(screening.facts.UNMEASURED_WAGE_AMOUNT), which the rules turn into a 需人工复核 flag citing the
member — no wage is presumed; the household stays off the review agenda until the wage is
registered (the finding then goes, the member's wage being declared).
"""

from decimal import Decimal

from households.models import Asset, Income
from households.services import schedule_rescreen_many
from screening.facts import UNMEASURED_WAGE_AMOUNT
from xixin_dibao.models import AuditEvent

from ..models import Case

DATA_MATCH = Income.Source.DATA_MATCH
ZERO = Decimal("0")


def _largest(results, attr):
    """The member whose matched value is largest: the finding is recorded against them."""
    return max(results, key=lambda r: getattr(r, attr)).member_id


def _asset_rows(case, results, declared) -> list[Asset]:
    hid, rows = case.household_id, []

    def add(kind, member_id, note, value=ZERO, **extra):
        rows.append(
            Asset(
                household_id=hid,
                member_id=member_id,
                kind=kind,
                value=value,
                note=f"信息比对：{note}"[:200],
                source=DATA_MATCH,
                **extra,
            )
        )

    vehicles = sum(r.vehicles for r in results) - declared.vehicles
    for _ in range(max(vehicles, 0)):
        # No kind in the county record: an unspecified vehicle is never exempt.
        add(Asset.Kind.VEHICLE, _largest(results, "vehicles"), "查到未申报车辆", vehicle_kind="")
    deposits = sum((r.deposits for r in results), ZERO) - declared.deposits
    if deposits > 0:
        add(Asset.Kind.DEPOSIT, _largest(results, "deposits"), "存款超出申报部分", deposits)
    if not declared.has_business:
        for r in results:
            if r.business:
                add(Asset.Kind.BUSINESS, r.member_id, f"工商登记“{r.business}”未申报")
    houses = sum(r.houses for r in results) - declared.houses
    for _ in range(max(houses, 0)):
        add(Asset.Kind.HOUSE, _largest(results, "houses"), "查到未申报房产")
    return rows


def _income_rows(case, results, declared) -> list[Income]:
    hid, rows = case.household_id, []
    pension = sum((r.pension_monthly for r in results), ZERO) - declared.pension_monthly
    if pension > 0:
        rows.append(
            Income(
                household_id=hid,
                member_id=_largest(results, "pension_monthly"),
                kind=Income.Kind.PENSION,
                amount=pension.quantize(Decimal("0.01")),
                period_months=1,
                source=DATA_MATCH,
                note="信息比对：养老金超出申报部分（每月）",
            )
        )
    if not declared.household_wage:
        for r in results:
            if r.housing_fund and r.member_id not in declared.wage_member_ids:
                rows.append(
                    Income(
                        household_id=hid,
                        member_id=r.member_id,
                        kind=Income.Kind.WAGE,
                        amount=UNMEASURED_WAGE_AMOUNT,
                        period_months=1,
                        source=DATA_MATCH,
                        note="信息比对：有住房公积金缴存但未申报工资，金额待核实（需人工复核）",
                    )
                )
    return rows


def _key(row, fields):
    return tuple(str(getattr(row, f)) for f in fields)


ASSET_KEY = ("member_id", "kind", "vehicle_kind", "value", "note")
INCOME_KEY = ("member_id", "kind", "amount", "period_months", "note")


def apply_findings(*, case_ids, actor) -> list[int]:
    """Write each case's findings as 信息比对 facts; re-screen the households whose facts changed.

    Idempotent: the household's earlier 信息比对 rows are replaced by the current findings.
    Returns the ids of the households whose facts changed. Call inside the caller's transaction.
    """
    from .datamatch import declared_for

    changed = []
    cases = Case.objects.filter(pk__in=list(case_ids)).select_related("household", "campaign")
    for case in cases:
        results = list(case.data_matches.all())
        declared = declared_for(case.household)
        assets = _asset_rows(case, results, declared) if results else []
        incomes = _income_rows(case, results, declared) if results else []
        old_assets = Asset.objects.filter(household_id=case.household_id, source=DATA_MATCH)
        old_incomes = Income.objects.filter(household_id=case.household_id, source=DATA_MATCH)
        same = sorted(_key(a, ASSET_KEY) for a in old_assets) == sorted(
            _key(a, ASSET_KEY) for a in assets
        ) and sorted(_key(i, INCOME_KEY) for i in old_incomes) == sorted(
            _key(i, INCOME_KEY) for i in incomes
        )
        if same:
            continue
        old_assets.delete()
        old_incomes.delete()
        Asset.objects.bulk_create(assets)
        Income.objects.bulk_create(incomes)
        notes = "；".join(row.note.removeprefix("信息比对：") for row in [*assets, *incomes])
        AuditEvent.objects.create(
            actor=actor,
            actor_name=str(actor)[:150] if actor else "系统",
            kind=AuditEvent.Kind.UPDATE,
            model="households.Household",
            object_id=str(case.household_id),
            household_id=case.household_id,
            summary=f"信息比对结果写入研判依据：{notes or '无不符事项，撤销此前写入的比对事项'}"[
                :300
            ],
        )
        changed.append(case.household_id)
    if changed:
        schedule_rescreen_many(changed)
    return changed
