"""Forms for verification pages: they parse input; the services decide what is allowed."""

from django import forms
from django.contrib.auth import get_user_model

from households.models import Village

from .models import DataMatchResult, Objection, Refusal, RelativeDeclaration, ReviewDecision
from .services.visits import split_names

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedForm(forms.Form):
    """Carries the case version the user saw, so a concurrent change is a conflict (R-05)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class TransitionForm(VersionedForm):
    to_state = forms.CharField(widget=forms.HiddenInput)  # the value of the button pressed
    # Optional: the case page records the step's own name when nothing is written.
    reason = forms.CharField(
        label="办理说明（将记入办理记录）",
        max_length=500,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "可不填；不填时记为所点按钮的名称，如“归档”"}
        ),
        error_messages={"max_length": "办理说明不能超过500字。"},
    )


class DataMatchRowForm(forms.ModelForm):
    member_id = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = DataMatchResult
        fields = [
            "matched_on",
            "vehicles",
            "deposits",
            "business",
            "pension_monthly",
            "houses",
            "housing_fund",
            "note",
        ]
        widgets = {"matched_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A row left without a date is skipped; the others must be complete.
        self.fields["matched_on"].required = False
        for name in ("vehicles", "deposits", "pension_monthly", "houses"):
            self.fields[name].required = False
            self.fields[name].min_value = 0
            self.fields[name].widget.attrs["min"] = 0

    def clean(self):
        data = super().clean()
        for name in ("vehicles", "deposits", "pension_monthly", "houses"):
            if data.get(name) is None:
                data[name] = 0
            elif data[name] < 0:
                self.add_error(name, "不能为负数。")
        return data


DataMatchFormSet = forms.formset_factory(DataMatchRowForm, extra=0)


class DataMatchImportForm(forms.Form):
    file = forms.FileField(
        label="县核查系统导出的 Excel 文件（.xlsx）",
        help_text="格式见“下载导入模板”；有任何一行出错则整批不导入，并列出全部错误。",
    )


class ScanField(forms.FileField):
    default_error_messages = {"required": "请上传扫描件（PDF、JPG 或 PNG）。"}


class MultipleScanInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleScanField(ScanField):
    """Several files (the pages of one signed form), in the order chosen."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleScanInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            return super().clean(None, initial)
        return [super(MultipleScanField, self).clean(f, initial) for f in files]


class HomeVisitForm(VersionedForm):
    visited_on = forms.DateField(label="调查日期", widget=DATE)
    investigators = forms.CharField(
        label="调查人员", help_text="至少两人，用顿号或逗号分隔，如：王静、涂磊", max_length=200
    )
    county_participated = forms.BooleanField(label="县民政局参与入户", required=False)
    members_finding = forms.CharField(
        label="家庭人员情况", widget=forms.Textarea(attrs={"rows": 2})
    )
    employment_income_finding = forms.CharField(
        label="就业及收入情况", widget=forms.Textarea(attrs={"rows": 2})
    )
    property_finding = forms.CharField(label="财产情况", widget=forms.Textarea(attrs={"rows": 2}))
    spending_finding = forms.CharField(
        label="日常开支情况", widget=forms.Textarea(attrs={"rows": 2})
    )
    scan = MultipleScanField(
        label="签字的入户调查表扫描件",
        help_text="PDF、JPG 或 PNG，每个 10 MB 以内；一份调查表有多页时可一次选择多个文件，"
        "按选择顺序合并为一个 PDF。",
    )

    def clean_investigators(self):
        names = split_names(self.cleaned_data["investigators"])
        if len(names) < 2:
            raise forms.ValidationError("入户调查须有至少两名调查人员。")
        return names


class RefusalForm(VersionedForm):
    refused_on = forms.DateField(label="拒绝配合日期", widget=DATE)
    details = forms.CharField(
        label="拒绝配合情况",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明时间、经过、在场人员，例如拒绝签署核查授权书。",
    )


class DeliveryForm(VersionedForm):
    delivered_on = forms.DateField(label="送达日期", widget=DATE)
    delivered_by = forms.CharField(label="送达人", max_length=60)
    method = forms.ChoiceField(label="送达方式", choices=Refusal.DeliveryMethod.choices)


class ReceiptForm(VersionedForm):
    scan = ScanField(label="回执扫描件", help_text="PDF、JPG 或 PNG，10 MB 以内。")
    signed_on = forms.DateField(label="回执签收日期", widget=DATE, required=False)
    received_on = forms.DateField(label="回执交到民政办主任的日期", widget=DATE)


class ExceptionForm(VersionedForm):
    reason = forms.CharField(
        label="特殊情况及理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：核查期间住院治疗、外出务工无法联系但家属已配合等。",
    )


class AutoExitForm(VersionedForm):
    reason = forms.CharField(
        label="视为自动退出的理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明告知书送达、回执交回和期限届满后仍拒不配合的情况。",
    )
    confirmed = forms.BooleanField(
        label="我已核实：该户无特殊情况，告知期限届满仍拒不配合核查",
        required=False,
    )


class ReversalForm(VersionedForm):
    reason = forms.CharField(
        label="撤销自动退出的理由",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如：送达有误、家属已补签核查授权书并配合核查等。将记入办理记录和审计日志。",
    )


class MeetingForm(forms.Form):
    held_on = forms.DateField(label="会议日期", widget=DATE)
    location = forms.CharField(label="地点", max_length=100, required=False)
    chair = forms.CharField(label="主持人", max_length=40)
    attendees = forms.CharField(
        label="参会人员", help_text="至少三人，用顿号或逗号分隔。", max_length=500
    )
    recorder = forms.CharField(label="记录人", max_length=40)

    def clean_attendees(self):
        names = split_names(self.cleaned_data["attendees"])
        if len(names) < 3:
            raise forms.ValidationError("集体研究审核须有至少三名参会人员。")
        return names


class DecisionForm(VersionedForm):
    # No default: a careless save must not record 纳入低保 for a current recipient.
    decision = forms.ChoiceField(
        label="审核意见",
        choices=[("", "请选择审核意见")] + ReviewDecision.Decision.choices,
        error_messages={"required": "请选择审核意见。", "invalid_choice": "请选择审核意见。"},
    )
    per_capita_income_monthly = forms.DecimalField(
        label="人均月收入（元）",
        required=False,
        min_value=0,
        decimal_places=2,
        help_text="留空则取研判结果中的人均收入（年收入÷12）。",
    )
    counted_members = forms.IntegerField(
        label="计保人数", required=False, min_value=1, help_text="留空则按共同生活成员人数。"
    )
    reasons = forms.CharField(
        label="理由",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写审核理由。"},
    )


class AgendaDecisionForm(DecisionForm):
    """One agenda row of the meeting page; rows are decided together, those ticked."""

    include = forms.BooleanField(label="本次决定", required=False)

    field_order = ["include", "decision", "per_capita_income_monthly", "counted_members", "reasons"]


class NoticeForm(forms.Form):
    village = forms.ModelChoiceField(label="村", queryset=Village.objects.all())
    start_date = forms.DateField(label="公示开始日期", widget=DATE)


class ObjectionForm(VersionedForm):
    received_on = forms.DateField(label="收到日期", widget=DATE)
    objector = forms.CharField(label="异议人", max_length=60, required=False, help_text="可匿名。")
    content = forms.CharField(label="异议内容", widget=forms.Textarea(attrs={"rows": 3}))
    action = forms.ChoiceField(label="处理方式", choices=Objection.Action.choices)


class RelativeForm(forms.Form):
    declarant = forms.ModelChoiceField(
        label="申报人（工作人员或村干部）", queryset=get_user_model().objects.none()
    )
    name = forms.CharField(label="亲属姓名", max_length=40)
    id_number = forms.CharField(label="亲属身份证号", max_length=20)
    relation = forms.ChoiceField(label="关系", choices=RelativeDeclaration.Relation.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        if not user.is_office:
            users = users.filter(pk=user.pk)
        self.fields["declarant"].queryset = users
        self.fields["declarant"].initial = user.pk


class BulletinForm(forms.Form):
    title = forms.CharField(
        label="标题", max_length=200, widget=forms.TextInput(attrs={"size": 70})
    )
    body = forms.CharField(label="正文", widget=forms.Textarea(attrs={"rows": 16}))
