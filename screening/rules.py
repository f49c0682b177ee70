"""Screening rules for the 2022 洗新乡 dibao campaign (洗府发〔2022〕156号).

Pure Python over frozen dataclasses, no Django. Every threshold arrives in a
CampaignPolicy; the only literals are units (12 months a year) and the national
特困 disability table. Money is Decimal, rounded to the cent with ROUND_HALF_UP.
Any flag sends an income-eligible household to manual review; a blocking flag
does so whatever the income says. Assets never reject a household silently.
The labels and dataclasses live in screening.facts and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from .benefit import monthly_benefit
from .facts import (
    ABLE_WORK_CAPACITIES,
    ALL_WAGE_EARNERS,
    CENT,
    COUNTED_INCOME_KIND_LABELS,
    CQ2017,
    DATA_MATCH,
    DEFAULT_EXCLUDED_INCOME_KINDS,
    DEFAULT_EXEMPT_VEHICLE_KINDS,
    DISABILITY_KINDS,
    DISABILITY_LABELS,
    EMPLOYMENT_COST_SCOPE_LABELS,
    EXCLUDED_INCOME_KIND_LABELS,
    IMPUTED,
    INCOME_KIND_LABELS,
    INCOME_SOURCE_LABELS,
    MEMBER_EXCLUSION_LABELS,
    MONTHS_PER_YEAR,
    N2021,
    N2022,
    NO_WORK_CAPACITY_GRADES,
    NTK,
    OUTCOME_LABELS,
    PRIORITY_GROUP_LABELS,
    RECORDED_ONLY_GROUPS,
    RULESET_VERSION,
    SEED,
    SINGLE_PERSON,
    SOLE_EARNER_AWAY,
    UNMEASURED_WAGE_AMOUNT,
    VEHICLE_KIND_LABELS,
    WAGE,
    WORK_CAPACITIES,
    WORK_CAPACITY_LABELS,
    WORKING_AWAY,
    AssetFacts,
    CampaignPolicy,
    Computation,
    Flag,
    HouseholdFacts,
    IncomeFacts,
    IncomeLine,
    MemberFacts,
    MemberLine,
    Outcome,
    Reason,
    Verdict,
    _cent,
    _plain,
    _yuan,
)

__all__ = [
    "ALL_WAGE_EARNERS",
    "AssetFacts",
    "CENT",
    "COUNTED_INCOME_KIND_LABELS",
    "CQ2017",
    "CampaignPolicy",
    "Computation",
    "DEFAULT_EXCLUDED_INCOME_KINDS",
    "DEFAULT_EXEMPT_VEHICLE_KINDS",
    "DISABILITY_KINDS",
    "EMPLOYMENT_COST_SCOPE_LABELS",
    "EXCLUDED_INCOME_KIND_LABELS",
    "Flag",
    "HouseholdFacts",
    "IMPUTED",
    "INCOME_KIND_LABELS",
    "INCOME_SOURCE_LABELS",
    "IncomeFacts",
    "IncomeLine",
    "MEMBER_EXCLUSION_LABELS",
    "MONTHS_PER_YEAR",
    "MemberFacts",
    "MemberLine",
    "N2021",
    "N2022",
    "NO_WORK_CAPACITY_GRADES",
    "NTK",
    "OUTCOME_LABELS",
    "Outcome",
    "PRIORITY_GROUP_LABELS",
    "RECORDED_ONLY_GROUPS",
    "RULESET_VERSION",
    "Reason",
    "SEED",
    "SINGLE_PERSON",
    "SOLE_EARNER_AWAY",
    "VEHICLE_KIND_LABELS",
    "Verdict",
    "WAGE",
    "WORKING_AWAY",
    "WORK_CAPACITIES",
    "evaluate",
]


@dataclass(frozen=True, slots=True)
class _Case:
    facts: HouseholdFacts
    policy: CampaignPolicy
    comp: Computation
    counted: tuple[MemberFacts, ...]
    pci: Decimal | None

    def name(self, member_key: str | None) -> str:
        return next((m.name for m in self.comp.members if m.key == member_key), "")


def _names(members) -> str:
    return "、".join(m.name for m in members)


def _age(member: MemberFacts, as_of: date) -> int | None:
    born = member.birth_date
    if born is None:
        return None
    return as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))


def _member_exclusion(member: MemberFacts) -> tuple[str, str] | None:
    """Return why a member is left out of the divisor (《最低生活保障审核确认办法》第七条)."""
    if member.exclusion_reason:
        note = f"：{member.exclusion_note}" if member.exclusion_note else ""
        return member.exclusion_reason, MEMBER_EXCLUSION_LABELS[member.exclusion_reason] + note
    if not member.co_resident:
        return "not_co_resident", "非共同生活家庭成员"
    if member.on_dibao and member.dibao_single_person:
        return SINGLE_PERSON, "已按“单人户”纳入低保，单独核算"
    return None


def _member_line(member: MemberFacts) -> MemberLine:
    excluded = _member_exclusion(member)
    if excluded is None:
        return MemberLine(member.key, member.name, True)
    return MemberLine(member.key, member.name, False, *excluded)


def _income_line(income: IncomeFacts, policy: CampaignPolicy, members: dict) -> IncomeLine:
    """Count an income unless its kind or its member is excluded (《最低生活保障审核确认办法》第十三条)."""
    line = IncomeLine(
        key=income.key,
        member_key=income.member_key,
        kind=income.kind,
        source=income.source,
        amount=income.amount,
        period_months=income.period_months,
        annual_amount=income.annual_amount,
        counted=True,
    )
    owner = members.get(income.member_key)
    if income.kind in policy.excluded_income_kinds:
        label = f"{INCOME_KIND_LABELS[income.kind]}按规定不计入家庭收入"
        return _replace_line(line, "excluded_kind", label)
    if owner is not None and not owner.counted:
        single = owner.reason == SINGLE_PERSON
        code = "single_person_income" if single else "member_not_counted"
        return _replace_line(line, code, f"{owner.name}不计入共同生活成员（{owner.reason_label}）")
    return line


def _replace_line(line: IncomeLine, reason: str, label: str) -> IncomeLine:
    values = {f.name: getattr(line, f.name) for f in fields(line)}
    return IncomeLine(**{**values, "counted": False, "reason": reason, "reason_label": label})


def _imputed_lines(counted, lines, policy: CampaignPolicy) -> list[IncomeLine]:
    """Impute the minimum wage for stable work without proof of pay (渝府办发〔2017〕33号)."""
    paid = {i.member_key for i in lines if i.counted and i.kind == WAGE}
    monthly = policy.minimum_wage_monthly
    return [
        IncomeLine(
            key=f"imputed:{m.key}",
            member_key=m.key,
            kind=WAGE,
            source=IMPUTED,
            amount=monthly,
            period_months=1,
            annual_amount=_cent(monthly * MONTHS_PER_YEAR),
            counted=True,
            reason="imputed_minimum_wage",
            reason_label="稳定就业但无法提供收入证明，按当地最低工资标准推算",
        )
        for m in counted
        if m.stable_employment_no_proof and m.key not in paid
    ]


def _member_wages(lines) -> dict[str, Decimal]:
    """Each member's counted wages (declared, matched or imputed), by member key."""
    wages: dict[str, Decimal] = {}
    for line in lines:
        if line.counted and line.kind == WAGE and line.member_key:
            wages[line.member_key] = wages.get(line.member_key, Decimal("0")) + line.annual_amount
    return wages


def _sole_earner_away(counted, wages: dict[str, Decimal]) -> MemberFacts | None:
    """The family's only worker, if he or she works away and is paid (seed group 10)."""
    workers = [m for m in counted if m.employed or m.key in wages]
    if len(workers) != 1 or not workers[0].works_away or wages.get(workers[0].key, 0) <= 0:
        return None
    return workers[0]


def _deductible(counted, lines, policy: CampaignPolicy) -> tuple[Decimal, tuple[str, ...]]:
    """The wages the employment-cost rate applies to under the campaign's scope, and whose
    (rules.md §1.2: every wage earner, members working away, or a sole earner working away)."""
    wages = _member_wages(lines)
    if policy.employment_cost_scope == ALL_WAGE_EARNERS:
        base = sum((i.annual_amount for i in lines if i.counted and i.kind == WAGE), Decimal(0))
        return base, tuple(sorted(wages))
    away: list[MemberFacts] = []
    if policy.employment_cost_scope == WORKING_AWAY:
        away = [m for m in counted if m.works_away and m.key in wages]
    elif policy.employment_cost_scope == SOLE_EARNER_AWAY:
        sole = _sole_earner_away(counted, wages)
        away = [sole] if sole else []
    return sum((wages[m.key] for m in away), Decimal("0")), tuple(m.key for m in away)


def _compute(facts: HouseholdFacts, policy: CampaignPolicy) -> _Case:
    """Add up counted income, less the employment cost on wages in scope, over counted members."""
    member_lines = sorted((_member_line(m) for m in facts.members), key=lambda m: m.key)
    by_key = {m.key: m for m in member_lines}
    counted = tuple(
        sorted((m for m in facts.members if by_key[m.key].counted), key=lambda m: m.key)
    )
    lines = [_income_line(i, policy, by_key) for i in facts.incomes]
    lines = sorted(lines + _imputed_lines(counted, lines, policy), key=lambda i: i.key)
    used = [i for i in lines if i.counted]
    gross = sum((i.annual_amount for i in used if i.kind == WAGE), Decimal("0"))
    base, deducted_members = _deductible(counted, lines, policy)
    deduction = _cent(max(base, Decimal("0")) * policy.employment_cost_rate)
    total = sum((i.annual_amount for i in used), Decimal("0")) - deduction
    comp = Computation(
        members=tuple(member_lines),
        incomes=tuple(lines),
        wage_gross=gross,
        employment_cost_rate=policy.employment_cost_rate,
        employment_cost_deduction=deduction,
        total_annual_income=total,
        member_count=len(counted),
        income_period_months=policy.income_period_months,
        employment_cost_scope=policy.employment_cost_scope,
        employment_cost_base=base,
        employment_cost_members=deducted_members,
    )
    pci = _cent(total / len(counted)) if counted else None
    return _Case(facts, policy, comp, counted, pci)


def _income_test(case: _Case) -> tuple[Outcome, Reason]:
    """Compare per-capita income with the standard and the 边缘 line (洗府发〔2022〕156号 三(二))."""
    p, pci = case.policy, case.pci
    if pci is None:
        message = "没有可计入的共同生活家庭成员，无法计算人均收入，需人工核实家庭成员情况"
        return Outcome.MANUAL_REVIEW, Reason("no_counted_members", message, f"{N2021}第七条")
    std, line, times = p.dibao_standard_annual, p.marginal_line, _plain(p.marginal_multiplier)
    nums = {"per_capita_income": str(pci), "dibao_standard": str(_cent(std))}
    nums |= {"marginal_line": str(line), "marginal_multiplier": times}
    head, seed = f"人均年收入 {_yuan(pci)} 元", f"{SEED} 三(二)"
    if pci < std:
        message = f"{head}，低于低保标准 {_yuan(std)} 元"
        return Outcome.DIBAO, Reason(
            "income_below_dibao", message, f"{N2021}第十二条；{seed}", nums
        )
    if pci == std:
        message = (
            f"{head}，恰好等于低保标准 {_yuan(std)} 元：不满足低保“低于标准”的条件，"
            f"也不满足本方案低保边缘“高于标准”的条件；按{N2021}第八条的全国口径"
            f"（不符合低保条件且低于标准 {times} 倍）可认定为低保边缘，请集体研究审核确定"
        )
        reason = Reason("income_exactly_dibao_standard", message, f"{seed}；{N2021}第八条", nums)
        return Outcome.MANUAL_REVIEW, reason
    if pci < line:
        message = f"{head}，高于低保标准 {_yuan(std)} 元、低于标准 {times} 倍 {_yuan(line)} 元"
        return Outcome.MARGINAL, Reason("income_in_marginal_band", message, seed, nums)
    exact = pci == line
    code = "income_exactly_marginal_line" if exact else "income_above_marginal_line"
    word = "恰好等于" if exact else "高于"
    message = f"{head}，{word}低保标准 {times} 倍 {_yuan(line)} 元，不属于低保或低保边缘"
    return Outcome.NOT_ELIGIBLE, Reason(code, message, seed, nums)


def _asset_flags(case: _Case) -> list[Flag]:
    """Flag asset and consumption tests for review (第十四条、第十七条; Chongqing limits unverified)."""
    a, p = case.facts.assets, case.policy
    hits = _financial_hits(case)
    vehicles = sorted(set(a.vehicle_kinds) - p.exempt_vehicle_kinds)
    if vehicles:
        kinds = "、".join(VEHICLE_KIND_LABELS.get(v, v) for v in vehicles)
        hits.append(("asset_vehicle_not_exempt", f"家庭拥有非豁免车辆或船舶：{kinds}", {}))
    if a.house_count >= p.house_count_limit:
        nums = {"house_count": str(a.house_count), "house_count_limit": str(p.house_count_limit)}
        hits.append(
            (
                "asset_house_count",
                f"家庭拥有住房 {a.house_count} 套，达到 {p.house_count_limit} 套",
                nums,
            )
        )
    checks = (
        (a.recent_house_purchase, "asset_recent_house_purchase", "申请前一年内购买商品住房"),
        (a.non_residential_property, "asset_non_residential_property", "拥有非居住类房产"),
        (
            a.business_registrations > 0,
            "asset_business_registration",
            f"家庭成员登记市场主体 {a.business_registrations} 户",
        ),
        (a.employs_others, "asset_employs_others", "家庭成员雇佣他人从事经营活动"),
        (a.high_fee_schooling, "consumption_high_fee_schooling", "自费就读高收费学校或出国留学"),
        (a.high_consumption, "consumption_high", "家庭生活水平明显高于当地低保标准"),
    )
    hits += [(code, message, {}) for hit, code, message in checks if hit]
    clause = f"{N2021}第十四条、第十七条；{CQ2017}（重庆限额待县民政局确认）"
    return [Flag(code, f"{message}，需人工复核", clause, nums) for code, message, nums in hits]


def _financial_hits(case: _Case) -> list[tuple[str, str, dict]]:
    p, count = case.policy, case.comp.member_count
    if not count:
        return []
    per_head = _cent(case.facts.assets.financial_assets / count)
    limit = _cent(p.financial_assets_multiplier * p.dibao_standard_annual)
    if per_head <= limit:
        return []
    times = _plain(p.financial_assets_multiplier)
    message = f"人均金融资产 {_yuan(per_head)} 元，超过低保年标准 {times} 倍 {_yuan(limit)} 元"
    nums = {"financial_assets_per_head": str(per_head), "limit": str(limit), "multiplier": times}
    return [("asset_financial_over_limit", message, nums)]


def _membership_flags(case: _Case, income_outcome: Outcome) -> list[Flag]:
    """Enforce whole-family and exclusivity rules (洗府发〔2022〕156号 三(二); 2022 通知 一(一))."""
    flags, counted = [], case.counted
    on_dibao = [m for m in counted if m.on_dibao]
    if on_dibao and len(on_dibao) < len(counted):
        message = (
            f"{_names(on_dibao)} 已享受低保而其他共同生活成员未纳入：低保应以家庭为单位整体纳入"
            "（单人户除外），低保对象也不能同时认定为低保边缘，需人工核实"
        )
        flags.append(Flag("partial_household_on_dibao", message, f"{N2022} 一(一)；{SEED} 三(二)"))
    extreme = [m for m in counted if m.is_extreme_poverty]
    if extreme:
        message = f"{_names(extreme)} 已是特困人员，不能同时纳入低保或低保边缘，需人工核实"
        flags.append(Flag("member_is_extreme_poverty", message, f"{SEED} 三(二)"))
    outsiders = [m for m in counted if not m.chongqing_hukou]
    if income_outcome == Outcome.MARGINAL and outsiders:
        message = (
            f"{_names(outsiders)} 不具有本市户籍，低保边缘家庭要求家庭成员具有本市户籍，需人工复核"
        )
        flags.append(Flag("marginal_non_chongqing_hukou", message, f"{SEED} 三(二)"))
    return flags


def _single_person_members(case: _Case) -> list[MemberFacts]:
    split = {m.key for m in case.comp.members if m.reason == SINGLE_PERSON}
    return sorted((m for m in case.facts.members if m.key in split), key=lambda m: m.key)


def _single_person_flags(case: _Case, income_outcome: Outcome) -> list[Flag]:
    """Since 2021 a 单人户's family must be 边缘 (洗府发〔2022〕156号 三(二)); block until it is."""
    since = case.policy.single_person_since
    in_scope = [
        m for m in _single_person_members(case) if m.dibao_start is None or m.dibao_start >= since
    ]
    if not in_scope or not case.counted or case.facts.currently_marginal:
        return []
    if income_outcome == Outcome.MARGINAL:
        return []
    started = "、".join(
        f"{m.name}于 {m.dibao_start.isoformat()} "
        if m.dibao_start
        else f"{m.name}（纳入日期未登记）"
        for m in in_scope
    )
    message = (
        f"{started}按“单人户”纳入低保（{since.isoformat()} 以后纳入的单人户，其家庭须全部纳入低保边缘）；"
        f"其余成员核算结果为“{OUTCOME_LABELS[income_outcome]}”，且家庭尚未认定为低保边缘，须处理后方可定案"
    )
    nums = {
        "single_person_since": since.isoformat(),
        "members": ",".join(m.key for m in in_scope),
        "dibao_start": ",".join(
            m.dibao_start.isoformat() if m.dibao_start else "" for m in in_scope
        ),
    }
    return [Flag("single_person_family_not_marginal", message, f"{SEED} 三(二)", nums, True)]


def _incapacity_reasons(member: MemberFacts, policy: CampaignPolicy) -> list[str]:
    """Why 《特困人员认定办法》第五条 deems a member unable to work: age, or the listed
    disability grades. Empty when neither applies."""
    found = []
    age = _age(member, policy.as_of)
    if age is not None and age >= policy.elderly_age:
        found.append(f"年满 {policy.elderly_age} 周岁（{age} 岁）")
    if age is not None and age < policy.child_age:
        found.append(f"未满 {policy.child_age} 周岁（{age} 岁）")
    worst = NO_WORK_CAPACITY_GRADES.get(member.disability_kind or "")
    if worst is not None and member.disability_grade is not None:
        if member.disability_grade <= worst:
            kind = DISABILITY_LABELS.get(member.disability_kind, member.disability_kind)
            found.append(f"{kind}残疾 {member.disability_grade} 级")
    return found


def _lacks_work_capacity(member: MemberFacts, policy: CampaignPolicy) -> bool:
    """Apply 《特困人员认定办法》第五条: age, or the listed disability grades."""
    return bool(_incapacity_reasons(member, policy))


def _extreme_poverty_candidates(case: _Case) -> tuple[str, ...]:
    """List members who may be 特困 (《特困人员认定办法》第五、六、八条)."""
    if case.pci is None or case.pci >= case.policy.dibao_standard_annual:
        return ()
    return tuple(
        m.key
        for m in case.counted
        if not m.is_extreme_poverty
        and m.has_able_supporter is False
        and _lacks_work_capacity(m, case.policy)
    )


def _candidate_flags(case: _Case, candidates: tuple[str, ...]) -> list[Flag]:
    """State each candidate's own reasons; the record's work capacity is quoted, never
    contradicted (a 65-year-old recorded 有劳动能力 is a candidate by age, not 无劳动能力)."""
    if not candidates:
        return []
    people = []
    for m in (m for m in case.counted if m.key in candidates):
        why = "、".join(_incapacity_reasons(m, case.policy))
        recorded = WORK_CAPACITY_LABELS[m.work_capacity]
        check = "，请核实" if m.work_capacity in ABLE_WORK_CAPACITIES else ""
        people.append(f"{m.name}（{why}；登记的劳动能力为“{recorded}”{check}）")
    std = _yuan(case.policy.dibao_standard_annual)
    message = (
        f"{'；'.join(people)}：符合{NTK}第五条的年龄或残疾条件；家庭人均年收入 "
        f"{_yuan(case.pci)} 元，低于低保标准 {std} 元；登记为没有具备赡养（抚养、扶养）能力的"
        "法定义务人。可能符合特困人员条件，应转特困认定程序核实"
    )
    return [
        Flag(
            "extreme_poverty_candidate",
            message,
            f"{NTK}第五、六、八条",
            {"members": ",".join(candidates)},
        )
    ]


def _unregistered_income_flags(case: _Case) -> list[Flag]:
    """A household with a working-age member able to work and no income line at all is an
    incomplete survey, not a 低保 family with nothing: block until the income is registered
    (洗府发〔2022〕156号 三(二) 摸排; 《最低生活保障审核确认办法》第十二条)."""
    if case.facts.incomes or case.comp.imputed_incomes:
        return []
    able = [m for m in case.counted if _able_to_work(m, case.policy)]
    if not able:
        return []
    message = (
        f"全家没有登记任何收入，而 {_names(able)} 处于劳动年龄且登记为有劳动能力"
        "（或部分丧失劳动能力），摸排可能不完整；请补录收入（确无收入的，登记金额为 0 的收入"
        "并写明原因）后重新研判"
    )
    nums = {"members": ",".join(m.key for m in able)}
    clause = f"{SEED} 三(二)；{N2021}第十二条"
    return [Flag("income_not_registered", message, clause, nums, True)]


def _unmeasured_wage_flags(case: _Case) -> list[Flag]:
    """信息比对 found 住房公积金 paid for a counted member who declared no wage: the member has a
    wage whose amount the match does not give. It cannot be used directly (nor presumed), so
    the household goes to 需人工复核 whatever its income, citing the mismatch, until the wage is
    registered (《最低生活保障审核确认办法》第十七、十八条; 洗府发〔2022〕156号 三(二))."""
    keys = {
        line.member_key
        for line in case.comp.incomes
        if line.counted
        and line.kind == WAGE
        and line.source == DATA_MATCH
        and line.amount == UNMEASURED_WAGE_AMOUNT
    }
    found = [m for m in case.counted if m.key in keys]
    if not found:
        return []
    message = (
        f"信息比对查到 {_names(found)} 有住房公积金缴存记录，但家庭未申报其工资性收入；"
        "工资金额无法从比对结果直接得出，不作推算。请入户核实其工资收入并登记后重新研判"
    )
    nums = {"members": ",".join(m.key for m in found)}
    clause = f"{N2021}第十七条、第十八条；{SEED} 三(二)"
    return [Flag("housing_fund_wage_undeclared", message, clause, nums, True)]


def _able_to_work(member: MemberFacts, policy: CampaignPolicy) -> bool:
    """Working age (child_age ≤ age < elderly_age), recorded as able to work, not a student."""
    age = _age(member, policy.as_of)
    return (
        age is not None
        and policy.child_age <= age < policy.elderly_age
        and member.work_capacity in ABLE_WORK_CAPACITIES
        and not member.student
    )


def _group(group: int, detail: str, numbers: dict | None = None) -> Reason:
    message = f"第{group}类 {PRIORITY_GROUP_LABELS[group]}：{detail}"
    return Reason(f"priority_group_{group}", message, f"{SEED} 三(一)", numbers or {})


def _priority_groups(case: _Case) -> dict[int, Reason]:
    """Assign the 12 seed groups (洗府发〔2022〕156号 三(一)); 1, 9 and 11 may come from officers."""
    recorded = case.facts.recorded_groups & RECORDED_ONLY_GROUPS
    found = {g: _group(g, "经办人员已登记（有佐证材料）") for g in recorded}
    found |= _household_groups(case) | _tuopin_groups(case) | _member_groups(case)
    found |= _expenditure_group(case) | _single_earner_group(case)
    return dict(sorted(found.items()))


def _household_groups(case: _Case) -> dict[int, Reason]:
    f, p, found = case.facts, case.policy, {}
    if f.is_monitoring and not f.risk_cleared:
        found[2] = _group(2, "防返贫监测户，风险尚未消除")
    if f.currently_marginal or any(m.on_marginal for m in case.counted):
        found[5] = _group(5, "现为低保边缘家庭，按低保口径复核收入")
    if f.dibao_petition_count >= p.petition_threshold:
        nums = {"petitions": str(f.dibao_petition_count), "threshold": str(p.petition_threshold)}
        detail = f"因低保问题信访 {f.dibao_petition_count} 次，达到 {p.petition_threshold} 次"
        found[12] = _group(12, detail, nums)
    return found


def _tuopin_groups(case: _Case) -> dict[int, Reason]:
    """Groups 3 and 4 use the 脱贫 net-income screen only, never the dibao thresholds."""
    f, screen, found = case.facts, case.policy.tuopin_income_screen, {}
    years = (
        (3, "2021年底人均纯收入", f.tuopin_net_income_2021),
        (4, "2022年预估人均纯收入", f.tuopin_net_income_2022_estimate),
    )
    for group, label, net in years:
        if f.is_tuopin and net is not None and net < screen:
            detail = f"脱贫户{label} {_yuan(net)} 元，低于 {_yuan(screen)} 元"
            found[group] = _group(group, detail, {"net_income": str(net), "screen": str(screen)})
    return found


def _member_groups(case: _Case) -> dict[int, Reason]:
    p, counted, found = case.policy, case.counted, {}
    causes = [f"{m.name}残疾" for m in counted if m.disability_kind]
    causes += [f"{m.name}患重病" for m in counted if m.serious_illness]
    causes += [f"{m.name}在校就学" for m in counted if m.student]
    causes += ["家庭遭受灾害损失"] if case.facts.disaster_loss else []
    if causes:
        found[7] = _group(7, "、".join(causes))
    elders = [
        m
        for m in counted
        if (_age(m, p.as_of) or 0) >= p.elderly_age and m.lives_alone and m.supporters_work_away
    ]
    if elders:
        found[8] = _group(8, f"{_names(elders)} 独居，赡养人常年外出务工")
    months = p.covid_months_without_income
    idle = [m for m in counted if m.unemployed_due_to_covid and m.months_without_income >= months]
    if idle:
        found[9] = _group(9, f"{_names(idle)} 受疫情影响无法务工，{months} 个月以上无收入")
    return found


def _expenditure_group(case: _Case) -> dict[int, Reason]:
    """Group 6: rigid spending ≥ share × income and per-capita income under the ceiling."""
    f, p, total = case.facts, case.policy, case.comp.total_annual_income
    if case.pci is None or f.rigid_expenses <= 0 or case.pci >= p.expenditure_income_ceiling:
        return {}
    floor = _cent(p.rigid_expense_share * max(total, Decimal("0")))
    if f.rigid_expenses < floor:
        return {}
    share = _plain(p.rigid_expense_share * 100)
    detail = f"近12个月刚性支出 {_yuan(f.rigid_expenses)} 元，达到家庭收入的 {share}%（{_yuan(floor)} 元）"
    return {6: _group(6, detail, {"rigid_expenses": str(f.rigid_expenses), "floor": str(floor)})}


def _single_earner_group(case: _Case) -> dict[int, Reason]:
    """Group 10: the only working member works away; say what this screening deducts."""
    wages = _member_wages(case.comp.incomes)
    worker = _sole_earner_away(case.counted, wages)
    if worker is None:
        return {}
    gross, rate = wages[worker.key], case.policy.employment_cost_rate
    deduction = _cent(gross * rate)
    head = f"唯一劳动力{worker.name}在外务工，工资性收入 {_yuan(gross)} 元"
    if deduction > 0:
        detail = f"{head}；此类家庭以往未扣除必要就业成本，本次核算已按 {_plain(rate * 100)}% 扣除 {_yuan(deduction)} 元"
    else:
        detail = f"{head}；工作方案的扣减比例为 0%，本次核算仍未扣除必要就业成本，请核实扣减比例"
    return {10: _group(10, detail, {"wage_gross": str(gross), "deduction": str(deduction)})}


def _lookback_reasons(case: _Case) -> list[Reason]:
    """回头看 households that left dibao or were refused since the policy date (三(一))."""
    f, since = case.facts, case.policy.lookback_since
    found = []
    for code, label, dates in (
        ("lookback_dibao_exit", "退出低保", f.dibao_exit_dates),
        ("lookback_refused_application", "申请低保或低保边缘未获通过", f.refused_application_dates),
    ):
        hits = sorted(d.isoformat() for d in dates if d >= since)
        if hits:
            message = f"{since.isoformat()} 以来{label}（{'、'.join(hits)}），纳入“回头看”重新核查"
            nums = {"since": since.isoformat(), "dates": ",".join(hits)}
            found.append(Reason(code, message, f"{SEED} 三(一)", nums))
    return found


def _context_reasons(case: _Case, income_outcome: Outcome) -> list[Reason]:
    """Explain the single-person split, re-checks, the whole-family rule and wage handling."""
    found, seed = [], f"{SEED} 三(二)"
    split = _single_person_members(case)
    if split:
        message = f"{_names(split)} 已按“单人户”纳入低保，本人收入单独核算；其余 {len(case.counted)} 名成员按其余成员收入核算"
        found.append(Reason("single_person_split", message, seed))
    if case.counted and all(m.on_dibao for m in case.counted):
        message = (
            "全部共同生活成员现为低保对象，本次为复核，按本次核算结果认定（应保尽保、应退尽退）"
        )
        found.append(Reason("dibao_recheck", message, f"{SEED} 工作开展程序"))
    if income_outcome == Outcome.DIBAO and len(case.counted) > 1:
        message = (
            f"低保以家庭为单位，{len(case.counted)} 名共同生活成员应整体纳入，不得只纳入部分成员"
        )
        found.append(Reason("whole_family_dibao", message, f"{N2022} 一(一)"))
    return found + _wage_reasons(case)


def _wage_reasons(case: _Case) -> list[Reason]:
    comp, found = case.comp, []
    for line in comp.imputed_incomes:
        message = (
            f"{case.name(line.member_key)} 稳定就业但无收入证明，"
            f"按最低工资 {_yuan(line.amount)} 元/月推算年工资 {_yuan(line.annual_amount)} 元"
        )
        nums = {"minimum_wage_monthly": str(line.amount), "annual": str(line.annual_amount)}
        found.append(Reason("imputed_minimum_wage", message, CQ2017, nums))
    return found + _employment_cost_reasons(case)


def _employment_cost_reasons(case: _Case) -> list[Reason]:
    """Say whose wages lost the employment cost under the campaign's scope, and whose did not
    (《最低生活保障审核确认办法》第十三条; scope and rate are campaign parameters, rules.md §1.2)."""
    comp, p = case.comp, case.policy
    wages = _member_wages(comp.incomes)
    if not wages and not comp.wage_gross:
        return []
    scope = EMPLOYMENT_COST_SCOPE_LABELS[comp.employment_cost_scope]
    rate = _plain(p.employment_cost_rate * 100)
    by_key = {m.key: m for m in case.counted}

    def who(key: str) -> str:
        member = by_key[key]
        return f"{member.name}（{'外出务工' if member.works_away else '本地或未外出'}）"

    inside = [who(k) for k in comp.employment_cost_members]
    if comp.employment_cost_scope == ALL_WAGE_EARNERS and any(
        i.counted and i.kind == WAGE and not i.member_key for i in comp.incomes
    ):
        inside.append("未指定成员的工资性收入")
    outside = [who(k) for k in sorted(wages) if k not in comp.employment_cost_members]
    parts = [f"必要就业成本扣减范围为“{scope}”（工作方案参数），扣减比例 {rate}%"]
    if inside:
        parts.append(
            f"{'、'.join(inside)}在扣减范围内：工资性收入 {_yuan(comp.employment_cost_base)} 元，"
            f"扣除 {_yuan(comp.employment_cost_deduction)} 元"
        )
    if outside:
        parts.append(f"{'、'.join(outside)}不在扣减范围内，工资性收入不扣除")
    nums = {
        "scope": comp.employment_cost_scope,
        "rate": str(p.employment_cost_rate),
        "wage_gross": str(comp.wage_gross),
        "base": str(comp.employment_cost_base),
        "deduction": str(comp.employment_cost_deduction),
        "members": ",".join(comp.employment_cost_members),
    }
    code = (
        "employment_cost_deducted"
        if comp.employment_cost_deduction
        else "employment_cost_not_deducted"
    )
    clause = f"{N2021}第十三条；{SEED} 三(一)第10类；扣减范围与比例由工作方案确定（待县民政局确认）"
    return [Reason(code, "；".join(parts), clause, nums)]


def _benefit(case: _Case) -> tuple[Decimal, Reason]:
    """Pay the gap: (monthly standard − monthly per-capita income) × members (第二十三条)."""
    n = case.comp.member_count
    standard = case.policy.dibao_standard_annual / MONTHS_PER_YEAR
    income = max(case.pci, Decimal("0")) / MONTHS_PER_YEAR
    amount = monthly_benefit(
        standard_annual=case.policy.dibao_standard_annual,
        income_annual=case.pci,
        members=n,
        rounding=case.policy.benefit_rounding,
    )
    message = f"月保障金 =（月标准 {_yuan(standard)} 元 − 人均月收入 {_yuan(income)} 元）× {n} 人 ≈ {amount} 元"
    nums = {"standard_monthly": str(_cent(standard)), "income_monthly": str(_cent(income))}
    nums |= {"members": str(n), "monthly_amount": str(amount)}
    return amount, Reason("benefit_gap_method", message, f"{N2021}第二十三条", nums)


def _near_line(case: _Case) -> bool:
    if case.pci is None:
        return False
    p = case.policy
    return any(
        abs(case.pci - line) <= p.near_line_band
        for line in (p.dibao_standard_annual, p.marginal_line)
    )


def _final_outcome(income_outcome: Outcome, flags: list[Flag]) -> Outcome:
    """Flags send an eligible household to review; blocking flags send any household."""
    if any(f.blocking for f in flags):
        return Outcome.MANUAL_REVIEW
    if flags and income_outcome in (Outcome.DIBAO, Outcome.MARGINAL):
        return Outcome.MANUAL_REVIEW
    return income_outcome


def evaluate(facts: HouseholdFacts, policy: CampaignPolicy) -> Verdict:
    """Screen one household under 洗府发〔2022〕156号, collecting every reason that applies."""
    case = _compute(facts, policy)
    income_outcome, income_reason = _income_test(case)
    candidates = _extreme_poverty_candidates(case)
    flags = _asset_flags(case) + _membership_flags(case, income_outcome)
    flags += _single_person_flags(case, income_outcome) + _candidate_flags(case, candidates)
    flags += _unregistered_income_flags(case) + _unmeasured_wage_flags(case)
    outcome = _final_outcome(income_outcome, flags)
    groups = _priority_groups(case)
    lookback = _lookback_reasons(case)
    reasons = [income_reason, *_context_reasons(case, income_outcome), *lookback, *groups.values()]
    monthly = None
    if outcome == Outcome.DIBAO:
        monthly, benefit_reason = _benefit(case)
        reasons.append(benefit_reason)
    return Verdict(
        outcome=outcome,
        per_capita_income=case.pci,
        computation=case.comp,
        reasons=tuple(reasons),
        flags=tuple(flags),
        priority_groups=frozenset(groups),
        lookback=bool(lookback),
        extreme_poverty_candidates=candidates,
        near_line=_near_line(case),
        monthly_amount=monthly,
    )
