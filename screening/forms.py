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
    """Other parameters to try; blank fields keep the campaign's value.

    The standard is typed once, in the unit chosen beside it; the other unit is shown computed.
    """

    UNITS = [("month", "元/人/月"), ("year", "元/人/年")]
    # A standard more than this many times above or below the campaign's is a unit mistake
    # (7,200 typed as a monthly standard is 86,400 元/年).
    IMPLAUSIBLE_FACTOR = 5

    standard = _money("低保标准")
    standard_unit = forms.ChoiceField(
        label="单位", choices=UNITS, initial="month", required=False, widget=forms.RadioSelect
    )
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

    def __init__(self, data=None, *args, current_monthly: Decimal | None = None, **kwargs):
        if data is not None and not data.get("standard"):
            # Links made before the unit choice: ?dibao_standard_monthly= / _annual=.
            data = data.copy()
            for old, unit in (
                ("dibao_standard_monthly", "month"),
                ("dibao_standard_annual", "year"),
            ):
                if data.get(old):
                    data["standard"], data["standard_unit"] = data[old], unit
                    break
        super().__init__(data, *args, **kwargs)
        self.current_monthly = current_monthly

    def clean(self):
        data = super().clean()
        standard, unit = data.get("standard"), data.get("standard_unit") or "month"
        data["standard_unit"] = unit
        if standard is not None and self.current_monthly:
            monthly = standard if unit == "month" else standard / 12
            factor = self.IMPLAUSIBLE_FACTOR
            if monthly > self.current_monthly * factor:
                self.add_error(
                    "standard",
                    f"{standard} 元/人/月 折合 {standard * 12:,.2f} 元/人/年，是现行标准的 "
                    f"{monthly / self.current_monthly:.0f} 倍，明显偏高。"
                    "如果输入的是年标准，请把单位选为“元/人/年”。",
                )
            elif monthly * factor < self.current_monthly:
                self.add_error(
                    "standard",
                    f"{standard} 元/人/年 折合每月仅 {monthly:,.2f} 元，明显偏低。"
                    "如果输入的是月标准，请把单位选为“元/人/月”。",
                )
        if not self.errors and not self.overrides():
            raise forms.ValidationError("请至少修改一个参数。")
        return data

    def standard_in_both_units(self) -> tuple[Decimal, Decimal] | None:
        """(monthly, annual) of the standard typed, for showing both."""
        standard = self.cleaned_data.get("standard")
        if standard is None:
            return None
        if self.cleaned_data.get("standard_unit") == "year":
            return (standard / 12).quantize(Decimal("0.01")), standard
        return standard, standard * 12

    def overrides(self) -> dict:
        """The filled-in fields, to the field's decimal places (7200 → 7200.00)."""
        out = {
            name: value
            if isinstance(value, str)
            else value.quantize(Decimal(1).scaleb(-self.fields[name].decimal_places))
            for name, value in self.cleaned_data.items()
            if value is not None and value != "" and name not in ("standard", "standard_unit")
        }
        standard = self.cleaned_data.get("standard")
        if standard is not None:
            unit = self.cleaned_data.get("standard_unit")
            name = "dibao_standard_annual" if unit == "year" else "dibao_standard_monthly"
            out[name] = standard.quantize(Decimal("0.01"))
        return out


def queue_results(*, user, campaign, params) -> tuple[QueueFilterForm, dict, object]:
    """(form, cleaned filters, unfiltered current results the user may see) for the queue."""
    villages = Village.objects.filter(township_id=campaign.township_id)
    form = QueueFilterForm(params or None, villages=villages)
    data = form.cleaned_data if form.is_valid() else {}
    results = ScreeningResult.objects.current(campaign)
    return form, data, results.for_user(user, township_id=campaign.township_id)
