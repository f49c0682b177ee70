"""Chinese labels for what the screening pages show: outcomes, flags, groups, parameters."""

from .rules import OUTCOME_LABELS, PRIORITY_GROUP_LABELS, Outcome

NOT_SCREENED = "未研判"

FLAG_LABELS = {
    "asset_financial_over_limit": "人均金融资产超限",
    "asset_vehicle_not_exempt": "有非豁免车辆",
    "asset_house_count": "住房套数较多",
    "asset_recent_house_purchase": "近一年购房",
    "asset_non_residential_property": "有非居住类房产",
    "asset_business_registration": "登记市场主体",
    "asset_employs_others": "雇佣他人",
    "consumption_high_fee_schooling": "自费高收费学校/留学",
    "consumption_high": "生活水平明显偏高",
    "partial_household_on_dibao": "仅部分成员在保",
    "member_is_extreme_poverty": "成员已是特困",
    "marginal_non_chongqing_hukou": "有非本市户籍成员",
    "single_person_family_not_marginal": "单人户家庭未纳入边缘",
    "extreme_poverty_candidate": "可能符合特困",
    "income_not_registered": "未登记收入",
    "housing_fund_wage_undeclared": "有公积金缴存未申报工资",
    "data_error": "登记数据有误",
}

GROUP_LABELS = {
    number: f"{chr(0x2460 + number - 1)}{label}" for number, label in PRIORITY_GROUP_LABELS.items()
}

# CampaignPolicy fields shown with a verdict and offered in what-if, in reading order.
PARAM_LABELS = {
    "dibao_standard_annual": "低保标准（元/人/年）",
    "marginal_multiplier": "低保边缘倍数",
    "marginal_line": "低保边缘线（元/人/年）",
    "near_line_band": "临界范围（元/人/年）",
    "employment_cost_rate": "必要就业成本扣减比例",
    "employment_cost_scope": "必要就业成本扣减范围",
    "minimum_wage_monthly": "最低工资标准（元/月）",
    "income_period_months": "收入计算期（月）",
    "financial_assets_multiplier": "人均金融资产上限（年标准的倍数）",
    "house_count_limit": "住房套数提示线",
    "tuopin_income_screen": "脱贫户人均纯收入筛查线（元/年）",
    "rigid_expense_share": "支出型困难：刚性支出占收入比例",
    "expenditure_income_ceiling": "支出型困难：人均年收入上限（元）",
    "petition_threshold": "多次信访次数",
    "covid_months_without_income": "疫情无收入月数",
    "elderly_age": "老年人年龄",
    "lookback_since": "回头看起始日",
    "single_person_since": "单人户纳入起始日",
    "as_of": "研判基准日",
}
MONEY_PARAMETERS = frozenset(
    {
        "dibao_standard_annual",
        "marginal_line",
        "near_line_band",
        "minimum_wage_monthly",
        "tuopin_income_screen",
        "expenditure_income_ceiling",
    }
)
RATE_PARAMETERS = frozenset({"employment_cost_rate", "rigid_expense_share"})


def outcome_label(value: str) -> str:
    """低保 / 低保边缘 / 不符合 / 需人工复核, or 未研判 for no verdict."""
    try:
        return OUTCOME_LABELS[Outcome(value)]
    except ValueError:
        return NOT_SCREENED


def flag_label(code: str) -> str:
    return FLAG_LABELS.get(code, code)
