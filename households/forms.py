"""Household entry forms: one page with the household, members, incomes, assets and expenses."""

from django import forms
from django.core import signing
from django.forms import BaseInlineFormSet, inlineformset_factory

from xixin_dibao.audit import snapshot

from . import idnumber, validation
from .models import (
    Asset,
    Expense,
    Household,
    Income,
    Member,
    PriorityGroup,
    Village,
    VillageGroup,
)

OUT_OF_SCOPE_VILLAGE = "所选的村不在您的工作范围内，不能在该村登记家庭或把家庭迁入该村。"
CODE_PREFIX_MESSAGE = "户编号须以所属村的村代码开头（{prefix}），留空则自动编号。"


def code_prefix(village) -> str:
    return f"{village.code}-"


def code_needs_check(household, code: str, village) -> bool:
    """A new code, a changed code or a move to another village must carry the village's prefix.

    Codes registered before the rule (imports of older ledgers) stay valid while unchanged.
    """
    return household.pk is None or household.code != code or household.village_id != village.pk


OPENED_SALT = "households.form.opened"


class HouseholdForm(forms.ModelForm):
    recorded_groups = forms.TypedMultipleChoiceField(
        label="重点人群（经核实登记）",
        choices=PriorityGroup.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    group_evidence = forms.CharField(label="重点人群依据", max_length=300, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # The household as it was when the form was opened (signed), for the edit-conflict table.
    opened = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Household
        fields = [
            "village",
            "group",
            "code",
            "head_name",
            "address",
            "hukou_type",
            "phone",
            "referral_source",
            "petition_count",
            "monitoring_type",
            "risk_cleared",
            "risk_cleared_date",
            "is_tuopin",
            "tuopin_net_income_2021",
            "tuopin_net_income_2022_estimate",
            "disaster_loss",
            "high_fee_schooling",
            "high_consumption",
            "hardship_note",
        ]
        widgets = {
            "risk_cleared_date": forms.DateInput(attrs={"type": "date"}),
            "hardship_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user.is_village_officer:
            # An officer's households always belong to the officer's village (not editable by POST).
            self.fields["village"].disabled = True
            self.fields["village"].initial = user.village_id
            self.fields["village"].queryset = self.fields["village"].queryset.filter(
                pk=user.village_id
            )
            self.fields["group"].queryset = VillageGroup.objects.filter(village_id=user.village_id)
        else:
            # Writes stay inside the user's scope (issue 19.8): only villages the user works in.
            villages = Village.objects.for_user(user)
            self.fields["village"].queryset = villages
            self.fields["group"].queryset = VillageGroup.objects.filter(village__in=villages)
        self.fields["village"].error_messages["invalid_choice"] = OUT_OF_SCOPE_VILLAGE
        self.fields["group"].error_messages["invalid_choice"] = "所选村民组不在您的工作范围内。"
        self.fields["code"].required = False
        self.fields["code"].help_text = "留空则自动编号。"
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["opened"].initial = signing.dumps(snapshot(self.instance), salt=OPENED_SALT)
            self.fields["recorded_groups"].initial = list(
                self.instance.group_records.values_list("group", flat=True)
            )

    def opened_snapshot(self) -> dict | None:
        """The household's values when the form was opened, or None if not sent back intact."""
        try:
            return signing.loads(self.cleaned_data.get("opened") or "", salt=OPENED_SALT)
        except signing.BadSignature:
            return None

    def clean(self):
        data = super().clean()
        village, group = data.get("village"), data.get("group")
        if village and group and group.village_id != village.pk:
            self.add_error("group", "所选村民组不属于该村。")
        for name, message in validation.household_problems(data):
            self.add_error(name, message)
        code = data.get("code")
        if village and code and code_needs_check(self.instance, code, village):
            if not code.startswith(code_prefix(village)):
                self.add_error("code", CODE_PREFIX_MESSAGE.format(prefix=code_prefix(village)))
        return data


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = [
            "name",
            "id_number",
            "no_id_reason",
            "sex",
            "birth_date",
            "relation",
            "exclusion",
            "exclusion_note",
            "chongqing_hukou",
            "disability_kind",
            "disability_grade",
            "serious_illness",
            "student_level",
            "work_capacity",
            "employed",
            "works_away",
            "stable_employment_no_proof",
            "unemployed_due_to_covid",
            "months_without_income",
            "lives_alone",
            "has_able_supporter",
            "supporters_work_away",
        ]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date", "data-birth": "1"}),
            "sex": forms.Select(attrs={"data-sex": "1"}),
            "id_number": forms.TextInput(attrs={"data-id-number": "1", "maxlength": 18}),
        }

    def validate_unique(self):
        """ID uniqueness is checked by the view with a message that hides other villages."""
        exclude = self._get_validation_exclusions()
        exclude.add("id_number")
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as exc:
            self._update_errors(exc)

    def clean_id_number(self):
        value = self.cleaned_data.get("id_number") or ""
        if not value.strip():
            return None
        try:
            return idnumber.validate(value)
        except idnumber.IdNumberError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        id_given = data.get("id_number") or "id_number" in self.errors
        if not id_given and not data.get("no_id_reason") and data.get("name"):
            self.add_error("no_id_reason", "没有身份证号时，请注明原因（如：未办理）。")
        if (
            data.get("exclusion")
            and not data.get("exclusion_note")
            and data.get("exclusion") == "other"
        ):
            self.add_error("exclusion_note", "选择“其他”时请注明不计入的原因。")
        for name, message in validation.member_problems(data):
            self.add_error(name, message)
        return data


class MemberFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen, heads = {}, 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            number = form.cleaned_data.get("id_number")
            if number:
                if number in seen:
                    form.add_error("id_number", f"与第 {seen[number]} 位成员的身份证号重复。")
                seen[number] = self.forms.index(form) + 1
            if form.cleaned_data.get("relation") == Member.Relation.HEAD:
                heads += 1
        if heads != 1 and any(
            f.cleaned_data and not f.cleaned_data.get("DELETE") for f in self.forms
        ):
            raise forms.ValidationError("每户须有且只有一名“户主”。")


class MemberNameMixin(forms.ModelForm):
    member_name = forms.CharField(
        label="成员姓名",
        max_length=40,
        required=False,
        help_text="填姓名或成员序号（1、2……）；留空表示全家共有",
        widget=forms.TextInput(attrs={"placeholder": "姓名或序号"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.member_id:
            self.fields["member_name"].initial = self.instance.member.name


class IncomeForm(MemberNameMixin):
    class Meta:
        model = Income
        fields = ["member_name", "kind", "amount", "period_months", "source", "note"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("金额不能为负数。")
        return amount

    def clean_period_months(self):
        months = self.cleaned_data["period_months"]
        if months is not None and not 1 <= months <= 12:
            raise forms.ValidationError("月数应在 1 到 12 之间。")
        return months


class AssetForm(MemberNameMixin):
    class Meta:
        model = Asset
        fields = [
            "member_name",
            "kind",
            "vehicle_kind",
            "value",
            "recent_purchase",
            "employs_others",
            "note",
        ]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Asset.Kind.VEHICLE and not data.get("vehicle_kind"):
            self.add_error("vehicle_kind", "车辆/船舶请选择具体类型。")
        return data


class ExpenseForm(forms.ModelForm):
    class Meta:
        model = Expense
        fields = ["kind", "amount", "note"]


def _formset(model, form, formset=BaseInlineFormSet, extra=0):
    return inlineformset_factory(
        Household, model, form=form, formset=formset, extra=extra, can_delete=True
    )


MemberInlineFormSet = _formset(Member, MemberForm, MemberFormSet)
# A new household starts with one row for its head.
NewMemberInlineFormSet = _formset(Member, MemberForm, MemberFormSet, extra=1)
IncomeInlineFormSet = _formset(Income, IncomeForm)
AssetInlineFormSet = _formset(Asset, AssetForm)
ExpenseInlineFormSet = _formset(Expense, ExpenseForm)


class ImportForm(forms.Form):
    file = forms.FileField(label="Excel 文件（.xlsx）")
