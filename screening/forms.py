"""Forms of the screening pages: queue filters, the re-screen button, what-if parameters."""

from decimal import Decimal

from django import forms
from django.db.models import F, Q

from households.models import Village

from .labels import FLAG_LABELS, GROUP_LABELS
from .models import OUTCOME_CHOICES, ScreeningResult
from .rules import EMPLOYMENT_COST_SCOPE_LABELS

SORTS = {
    "village": ("village_code", "household_code"),
    "code": ("household_code",),
    "income": ("per_capita_income", "household_code"),
    "outcome": ("outcome", "village_code", "household_code"),
}
SORT_CHOICES = [
    ("village", "按村、户编号"),
    ("code", "按户编号"),
    ("income", "按人均年收入（低→高）"),
    ("-income", "按人均年收入（高→低）"),
    ("outcome", "按研判结论"),
    ("-village", "按村（倒序）"),
    ("-code", "按户编号（倒序）"),
    ("-outcome", "按研判结论（倒序）"),
]
CHANGED_CHOICES = [("", "全部"), ("1", "结论有变化"), ("new", "首次研判")]


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="户主或户编号", required=False, max_length=40)
    outcome = forms.ChoiceField(label="研判结论", required=False)
    village = forms.ModelChoiceField(
        label="村", queryset=Village.objects.none(), required=False, empty_label="全部"
    )
    group = forms.TypedChoiceField(label="重点人群", required=False, coerce=int, empty_value=None)
    flag = forms.ChoiceField(label="需复核事项", required=False)
    near = forms.BooleanField(label="仅看临界", required=False)
    changed = forms.ChoiceField(label="较上次", required=False, choices=CHANGED_CHOICES)
    lookback = forms.BooleanField(label="仅看回头看对象", required=False)
    sort = forms.ChoiceField(label="排序", required=False, choices=SORT_CHOICES)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["outcome"].choices = [("", "全部"), *OUTCOME_CHOICES]
        self.fields["group"].choices = [("", "全部"), *GROUP_LABELS.items()]
        self.fields["flag"].choices = [("", "全部"), *FLAG_LABELS.items()]


def filter_queue(qs, data: dict, *, skip_outcome: bool = False):
    """Apply the queue's filters (cleaned data) to current results; order by data["sort"]."""
    if data.get("q"):
        q = data["q"].strip()
        qs = qs.filter(Q(household__head_name__contains=q) | Q(household__code__icontains=q))
    if data.get("outcome") and not skip_outcome:
        qs = qs.filter(outcome=data["outcome"])
    if data.get("village"):
        qs = qs.filter(household__village=data["village"])
    if data.get("group"):
        qs = qs.filter(group_codes__contains=f",{data['group']},")
    if data.get("flag"):
        qs = qs.filter(flag_codes__contains=f",{data['flag']},")
    if data.get("near"):
        qs = qs.filter(near_line=True)
    if data.get("changed") == "1":
        qs = qs.filter(changed=True)
    elif data.get("changed") == "new":
        qs = qs.filter(previous_outcome="")
    if data.get("lookback"):
        qs = qs.filter(lookback=True)
    return qs


def order_queue(qs, sort: str):
    """Order by a SORTS key ("-" for descending); households without an income sort last."""
    descending = (sort or "").startswith("-")
    keys = SORTS.get((sort or "").lstrip("-"), SORTS["village"])
    order = [F(k).desc(nulls_last=True) if descending else F(k).asc(nulls_last=True) for k in keys]
    return qs.order_by(*order, "pk")


class RunForm(forms.Form):
    village = forms.ModelChoiceField(
        label="范围", queryset=Village.objects.none(), required=False, empty_label="全乡"
    )
    force = forms.BooleanField(label="数据未变的家庭也重新计算", required=False)

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


def _money(label: str, **kw) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, required=False, max_digits=10, decimal_places=2, min_value=0, **kw
    )


class WhatIfForm(forms.Form):
    """Other parameters to try; blank fields keep the campaign's value."""

    dibao_standard_monthly = _money("低保标准（元/人/月）")
    dibao_standard_annual = _money("或：低保标准（元/人/年）")
    marginal_multiplier = forms.DecimalField(
        label="低保边缘倍数", required=False, max_digits=4, decimal_places=2, min_value=1
    )
    employment_cost_rate = forms.DecimalField(
        label="必要就业成本扣减比例（0～1）",
        required=False,
        max_digits=4,
        decimal_places=2,
        min_value=0,
        max_value=Decimal("0.99"),
    )
    employment_cost_scope = forms.ChoiceField(
        label="必要就业成本扣减范围",
        required=False,
        choices=[("", "（沿用当前方案）"), *EMPLOYMENT_COST_SCOPE_LABELS.items()],
    )
    minimum_wage_monthly = _money("最低工资标准（元/月）")
    near_line_band = _money("临界范围（元/人/年）")
    financial_assets_multiplier = forms.DecimalField(
        label="人均金融资产上限（年标准的倍数）",
        required=False,
        max_digits=4,
        decimal_places=2,
        min_value=0,
    )

    def clean(self):
        data = super().clean()
        monthly, annual = data.get("dibao_standard_monthly"), data.get("dibao_standard_annual")
        if monthly is not None and annual is not None and monthly * 12 != annual:
            self.add_error(
                "dibao_standard_annual",
                f"与月标准不一致：{monthly} 元/月 × 12 = {monthly * 12} 元/年，只填一个即可。",
            )
        if not self.errors and not self.overrides():
            raise forms.ValidationError("请至少修改一个参数。")
        return data

    def overrides(self) -> dict:
        """The filled-in fields, to the field's decimal places (7200 → 7200.00)."""
        return {
            name: value
            if isinstance(value, str)
            else value.quantize(Decimal(1).scaleb(-self.fields[name].decimal_places))
            for name, value in self.cleaned_data.items()
            if value is not None and value != ""
        }


def queue_results(*, user, campaign, params) -> tuple[QueueFilterForm, dict, object]:
    """(form, cleaned filters, unfiltered current results the user may see) for the queue."""
    villages = Village.objects.filter(township_id=campaign.township_id)
    form = QueueFilterForm(params or None, villages=villages)
    data = form.cleaned_data if form.is_valid() else {}
    results = ScreeningResult.objects.current(campaign)
    return form, data, results.for_user(user, township_id=campaign.township_id)
