"""Forms for the assistance register on the household page (validation lives in the service)."""

from django import forms

from .models import Application, AssistanceRecord, Member
from .register import APPLICATION_FIELDS, RECORD_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RecordForm(forms.ModelForm):
    """Add or correct one person's record; the service checks overlaps, dates and amounts."""

    class Meta:
        model = AssistanceRecord
        fields = ["member", *RECORD_FIELDS]
        widgets = {"start_date": DATE, "end_date": DATE}
        help_texts = {
            "end_date": "仍在享受的留空；终止日期为停止享受的第一天。",
            "monthly_amount": "本人每月的保障金（元/人，差额法：标准减人均收入）。",
            "single_person_basis": "单人户填写依据，如“一级肢体残疾”。",
        }

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(household=household)
        self.fields["member"].empty_label = None
        self.fields["exit_reason"].required = False


class EndRecordForm(forms.Form):
    end_date = forms.DateField(label="终止日期", widget=DATE)
    exit_reason = forms.ChoiceField(
        label="退出原因",
        choices=[c for c in AssistanceRecord.ExitReason.choices if c[0]],
    )
    exit_note = forms.CharField(label="原因说明", max_length=200, required=False)


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = list(APPLICATION_FIELDS)
        widgets = {"applied_on": DATE, "decided_on": DATE}
        help_texts = {"reason": "未通过的须写明原因。"}


def show_errors(form: forms.Form, errors: list[tuple[str, str]]) -> None:
    """Put a service's (field, message) errors next to their fields."""
    for field, message in errors:
        form.add_error(field if field in form.fields else None, message)
