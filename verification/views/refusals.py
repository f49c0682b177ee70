"""Refusal to cooperate: record it, print the notice, delivery, receipt, special circumstances."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from xixin_dibao import clock
from xixin_dibao.paper import docx_response

from .. import scans, services
from ..forms import (
    AutoExitForm,
    DeliveryForm,
    ExceptionForm,
    ReceiptForm,
    RefusalForm,
    ReversalForm,
)
from .common import get_case, log_print, office_only, run_service, writers_only

EXPLAIN = (
    "依据洗府发〔2022〕156号：对无特殊情况拒不配合开展经济核查的，视为自动退出；各村应以书面告知的"
    "形式送达被核查人，并将回执单交回民政办（王静）。回执交回之前，不能视为自动退出。"
)


def _form_page(request, case, form, title, explain=EXPLAIN, multipart=False):
    return render(
        request,
        "verification/simple_form.html",
        {"case": case, "form": form, "title": title, "explain": explain, "multipart": multipart},
    )


@login_required
@writers_only
def refusal(request, pk):
    case = get_case(request, pk)
    form = RefusalForm(
        request.POST or None, initial={"version": case.version, "refused_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_refusal(
                case=case,
                actor=request.user,
                refused_on=data["refused_on"],
                details=data["details"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已登记拒不配合。请打印书面告知书送达本人。")
            return redirect(case)
    return _form_page(request, case, form, "登记拒不配合核查")


def _printed_refusal(request, pk, *, word: bool = False):
    """The case's refusal, numbered and its printing audited; 404 outside the user's villages."""
    case = get_case(request, pk)
    refusal = getattr(case, "refusal", None)
    if refusal is None:
        raise Http404("该户没有拒不配合记录")
    services.notice_number(refusal)
    log_print(
        request,
        summary=f"{'下载Word版' if word else '打印'}告知书 {refusal.notice_number}",
        household_id=case.household_id,
        obj=refusal,
    )
    return refusal, f"书面告知书-{case.household.head_name}-{clock.today():%Y%m%d}"


@login_required
def refusal_notice_pdf(request, pk):
    refusal, name = _printed_refusal(request, pk)
    return scans.pdf_response(services.render_refusal_notice(refusal), f"{name}.pdf")


@login_required
def refusal_notice_docx(request, pk):
    refusal, name = _printed_refusal(request, pk, word=True)
    return docx_response(services.render_refusal_notice_docx(refusal), f"{name}.docx")


@login_required
@writers_only
def refusal_delivery(request, pk):
    case = get_case(request, pk)
    form = DeliveryForm(
        request.POST or None, initial={"version": case.version, "delivered_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_delivery(
                case=case,
                actor=request.user,
                delivered_on=data["delivered_on"],
                delivered_by=data["delivered_by"],
                method=data["method"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已登记告知书送达。请将回执交回民政办。")
            return redirect(case)
    return _form_page(request, case, form, "登记告知书送达")


@login_required
@writers_only
def refusal_receipt(request, pk):
    case = get_case(request, pk)
    office_only(request.user)
    form = ReceiptForm(
        request.POST or None,
        request.FILES or None,
        initial={"version": case.version, "received_on": clock.today()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_receipt(
                case=case,
                actor=request.user,
                scan=data["scan"],
                signed_on=data["signed_on"],
                received_on=data["received_on"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已登记回执交回。确认无特殊情况后，可“确认视为自动退出”。")
            return redirect(case)
    return _form_page(request, case, form, "登记回执交回民政办", multipart=True)


@login_required
@writers_only
def refusal_exception(request, pk):
    case = get_case(request, pk)
    office_only(request.user)
    form = ExceptionForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_exception(
                case=case,
                actor=request.user,
                reason=data["reason"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已认定特殊情况，该户恢复核查，不视为自动退出。")
            return redirect(case)
    return _form_page(
        request,
        case,
        form,
        "认定特殊情况（不视为自动退出）",
        explain="由民政办办公室主任认定：有特殊情况的，不视为自动退出，案件恢复为“待核查”。须写明理由。",
    )


@login_required
@writers_only
def auto_exit_confirm(request, pk):
    case = get_case(request, pk)
    office_only(request.user)
    form = AutoExitForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.confirm_auto_exit(
                case=case,
                actor=request.user,
                reason=data["reason"],
                confirmed=data["confirmed"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已确认视为自动退出。活动期间如有错误，可撤销。")
            return redirect(case)
    blocked = services.exit_blocked(case)
    if blocked and request.method != "POST":
        messages.error(request, blocked)
    return _form_page(request, case, form, "确认视为自动退出")


@login_required
@writers_only
def auto_exit_reverse(request, pk):
    case = get_case(request, pk)
    office_only(request.user)
    form = ReversalForm(request.POST or None, initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.reverse_auto_exit(
                case=case,
                actor=request.user,
                reason=data["reason"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已撤销自动退出，该户恢复为“待核查”。")
            return redirect(case)
    return _form_page(
        request,
        case,
        form,
        "撤销自动退出",
        explain="工作方案执行期间，民政办可撤销错误的“视为自动退出”，须写明理由；撤销记入办理记录和审计日志。",
    )
