"""县级审核确认: record the county's confirmation for several households, or reverse one."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from households.models import AssistanceRecord
from xixin_dibao import clock

from ..models import CountyConfirmation
from ..services.confirmation import (
    OUTCOME_LABELS,
    confirm_cases,
    confirmable_cases,
    effective_date,
    reverse_confirmation,
)
from ..services.guards import current_decision
from .common import current_campaign, office_only, run_service

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ConfirmForm(forms.Form):
    cases = forms.MultipleChoiceField(label="确认的家庭", widget=forms.CheckboxSelectMultiple)
    confirmed_on = forms.DateField(label="县级确认日期", widget=DATE)
    document_number = forms.CharField(label="确认文号", max_length=60)
    exit_reason = forms.ChoiceField(
        label="“退出”决定的退出原因",
        choices=[
            c
            for c in AssistanceRecord.ExitReason.choices
            if c[0] and c[0] != AssistanceRecord.ExitReason.REFUSED_CHECK
        ],
        initial=AssistanceRecord.ExitReason.INCOME_ROSE,
    )

    def __init__(self, *args, cases, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_map = {str(c.pk): c for c in cases}
        self.fields["cases"].choices = [(str(c.pk), str(c.pk)) for c in cases]


class ReverseForm(forms.Form):
    reason = forms.CharField(label="撤销理由", widget=forms.Textarea(attrs={"rows": 3}))


def _rows(cases):
    rows = []
    for case in cases:
        decision = current_decision(case)
        outcome = decision.decision if decision else "auto_exit"
        rows.append({"case": case, "decision": decision, "outcome": OUTCOME_LABELS[outcome]})
    return rows


@login_required
def confirmation_list(request):
    office_only(request.user)
    campaign = current_campaign(request.user)
    pending = list(confirmable_cases(campaign))
    form = ConfirmForm(request.POST or None, cases=pending, initial={"confirmed_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [form.case_map[pk] for pk in data["cases"]]
        done = run_service(
            request,
            form,
            lambda: confirm_cases(
                actor=request.user,
                cases=chosen,
                confirmed_on=data["confirmed_on"],
                document_number=data["document_number"],
                exit_reason=data["exit_reason"],
            ),
        )
        if done:
            messages.success(request, f"已登记 {len(chosen)} 户的县级确认，救助记录已更新。")
            return redirect("verification:confirmation_list")
    recorded = (
        CountyConfirmation.objects.filter(case__campaign=campaign)
        .select_related("case__household__village", "recorded_by", "reversed_by")
        .order_by("-recorded_at")
    )
    start_rule = campaign.get_register_start_display()
    return render(
        request,
        "verification/confirmation_list.html",
        {
            "form": form,
            "rows": _rows(pending),
            "recorded": recorded,
            "start_rule": start_rule,
            "example_start": effective_date(campaign, clock.today()),
        },
    )


@login_required
def confirmation_reverse(request, pk):
    office_only(request.user)
    confirmation = get_object_or_404(
        CountyConfirmation.objects.select_related("case__household"),
        pk=pk,
        case__campaign=current_campaign(request.user),
    )
    form = ReverseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        call = lambda: reverse_confirmation(  # noqa: E731
            actor=request.user, confirmation=confirmation, reason=reason
        )
        if run_service(request, form, call):
            messages.success(request, "已撤销该县级确认，相应救助记录已恢复原状。")
            return redirect("verification:confirmation_list")
    household = confirmation.case.household
    return render(
        request,
        "verification/simple_form.html",
        {
            "form": form,
            "case": confirmation.case,
            "title": f"撤销县级确认：{household.head_name}户（{confirmation.document_number}）",
            "explain": "撤销后，该确认写入的救助记录将恢复原状；确认记录和撤销理由保留在审计记录中。",
        },
    )
