"""民政办's pages for the assistance register: add, correct and end records; record applications."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from . import caseload
from .models import Application, AssistanceRecord
from .register import RegisterError
from .register_forms import ApplicationForm, EndRecordForm, RecordForm, show_errors
from .views import get_visible_household

TEMPLATE = "households/register_form.html"


def _office_household(request, pk):
    household = get_visible_household(request, pk)
    if not request.user.is_office:
        raise PermissionDenied(caseload.OFFICE_ONLY)
    return household


def _page(request, household, form, title, explain=""):
    return render(
        request,
        TEMPLATE,
        {"household": household, "form": form, "title": title, "explain": explain},
    )


def _saved(request, household, message):
    messages.success(request, message)
    return redirect(f"{household.get_absolute_url()}#register")


@login_required
def record_edit(request, pk, record_pk=None):
    household = _office_household(request, pk)
    record = None
    if record_pk is not None:
        record = AssistanceRecord.objects.filter(pk=record_pk, member__household=household).first()
        if record is None:
            raise Http404("记录不存在。")
    form = RecordForm(request.POST or None, instance=record, household=household)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        member = data.pop("member")
        try:
            caseload.save_record(actor=request.user, member=member, record=record, **data)
        except RegisterError as exc:
            show_errors(form, exc.errors)
        else:
            return _saved(request, household, f"已保存{member.name}的救助记录。")
    title = "更正救助记录" if record else "登记救助记录"
    explain = "更正会保留原值，可在“修改记录”中查看。" if record else ""
    return _page(request, household, form, f"{title}：{household.head_name}户", explain)


@login_required
def record_end(request, pk, record_pk):
    household = _office_household(request, pk)
    record = AssistanceRecord.objects.filter(
        pk=record_pk, member__household=household, end_date__isnull=True
    ).first()
    if record is None:
        raise Http404("记录不存在或已终止。")
    form = EndRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            caseload.end_record(actor=request.user, record=record, **form.cleaned_data)
        except RegisterError as exc:
            show_errors(form, exc.errors)
        else:
            return _saved(
                request, household, f"已终止{record.member.name}的{record.get_kind_display()}。"
            )
    title = f"终止救助：{record.member.name} {record.get_kind_display()}（{record.start_date:%Y-%m-%d}起）"
    return _page(request, household, form, title)


@login_required
def application_edit(request, pk, application_pk=None):
    household = _office_household(request, pk)
    application = None
    if application_pk is not None:
        application = Application.objects.filter(pk=application_pk, household=household).first()
        if application is None:
            raise Http404("记录不存在。")
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST" and form.is_valid():
        try:
            caseload.save_application(
                actor=request.user,
                household=household,
                application=application,
                **form.cleaned_data,
            )
        except RegisterError as exc:
            show_errors(form, exc.errors)
        else:
            return _saved(request, household, "已保存申请记录。")
    title = "更正申请记录" if application else "登记申请记录"
    return _page(request, household, form, f"{title}：{household.head_name}户")
