"""Checks across fields that the entry form and the Excel import share: one rule, one message.

Each function takes plain field values (the form's cleaned_data or an import row) and returns
every problem as (field name, Chinese message), so both callers report the same words.
"""

DISABILITY_GRADE_REQUIRED = "填写了残疾类别，请同时填写残疾等级（1级至4级）。"
GRADE_WITHOUT_KIND = "填写了残疾等级，请同时填写残疾类别。"
RISK_CLEARED_NEEDS_MONITORING = "只有监测户才能标记“风险已消除”。"
TUOPIN_INCOME_NEEDS_TUOPIN = "只有脱贫户才填写2021年、2022年人均纯收入。"


def member_problems(data: dict) -> list[tuple[str, str]]:
    """A disability kind needs its grade, and a grade its kind."""
    problems = []
    if data.get("disability_kind") and not data.get("disability_grade"):
        problems.append(("disability_grade", DISABILITY_GRADE_REQUIRED))
    if data.get("disability_grade") and not data.get("disability_kind"):
        problems.append(("disability_kind", GRADE_WITHOUT_KIND))
    return problems


def household_problems(data: dict) -> list[tuple[str, str]]:
    """Risk cleared only for a monitored household; 脱贫 incomes only for a 脱贫户."""
    problems = []
    if data.get("risk_cleared") and not data.get("monitoring_type"):
        problems.append(("risk_cleared", RISK_CLEARED_NEEDS_MONITORING))
    tuopin_income = any(
        data.get(k) is not None
        for k in ("tuopin_net_income_2021", "tuopin_net_income_2022_estimate")
    )
    if tuopin_income and not data.get("is_tuopin"):
        problems.append(("is_tuopin", TUOPIN_INCOME_NEEDS_TUOPIN))
    return problems
