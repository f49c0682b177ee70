"""Screening pages: the director's queue and its export, re-screening, 回头看, what-if."""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from households.models import Campaign, Village
from households.views import get_visible_household
from xixin_dibao import clock, jobs
from xixin_dibao.audit import record_security
from xixin_dibao.exports import export_response
from xixin_dibao.models import AuditEvent, Job

from . import services, tasks
from .export import write_queue
from .forms import RunForm, WhatIfForm, filter_queue, order_queue, queue_results
from .labels import outcome_label
from .models import OUTCOME_CHOICES, ScreeningResult, ScreeningRun

PAGE_SIZE = 50
EXPORT_SYNC_LIMIT = 10_000  # larger exports run as a background job (P-10)
READERS_ONLY = "研判队列、回头看和测算仅供民政办和领导小组使用。"


def _require_reader(user) -> None:
    user.require(user.is_office or user.is_leadership, READERS_ONLY)


def _campaign(user) -> Campaign | None:
    return Campaign.objects.current(user=user)


def _villages(campaign):
    return (
        Village.objects.filter(township_id=campaign.township_id)
        if campaign
        else Village.objects.none()
    )


def _no_campaign(request, title: str):
    return render(request, "screening/no_campaign.html", {"title": title})


@login_required
def queue(request):
    """Every screened household, filterable, sortable, 50 a page, with counts per outcome."""
    _require_reader(request.user)
    campaign = _campaign(request.user)
    if campaign is None:
        return _no_campaign(request, "研判队列")
    form, data, base = queue_results(user=request.user, campaign=campaign, params=request.GET)
    counts = dict(
        filter_queue(base, data, skip_outcome=True)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    results = order_queue(filter_queue(base, data), data.get("sort", ""))
    results = results.select_related("household__village", "household__group").defer(
        "data", "params"
    )
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "screening/queue.html",
        {
            "campaign": campaign,
            "form": form,
            "page_obj": page,
            "results": page.object_list,
            "outcome_counts": [
                (v, label, counts.get(v, 0), _with(params, outcome=v))
                for v, label in OUTCOME_CHOICES
            ],
            "all_outcomes_query": _with(params, outcome=""),
            "total": sum(counts.values()),
            "query_string": params.urlencode() + "&" if params else "",
            "export_query": params.urlencode(),
            "last_run": ScreeningRun.objects.filter(campaign=campaign)
            .select_related("village", "started_by", "job")
            .first(),
            "run_form": RunForm(villages=_villages(campaign)) if request.user.is_office else None,
        },
    )


def _with(params, **changes) -> str:
    """The query string of `params` with `changes` applied (blank values dropped)."""
    params = params.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value:
            params[key] = value
    return params.urlencode()


@login_required
def export(request):
    """The filtered queue as .xlsx; over EXPORT_SYNC_LIMIT rows it becomes a background job."""
    _require_reader(request.user)
    campaign = _campaign(request.user)
    if campaign is None:
        return _no_campaign(request, "导出研判队列")
    form, data, base = queue_results(user=request.user, campaign=campaign, params=request.GET)
    results = order_queue(filter_queue(base, data), data.get("sort", ""))
    title = f"{campaign.name} 研判队列（导出于 {clock.now():%Y-%m-%d %H:%M}）"
    if results.count() > EXPORT_SYNC_LIMIT:
        job = jobs.start_job(
            kind="screening_export",
            title="导出研判队列",
            owner=request.user,
            params={"campaign_id": campaign.pk, "filters": request.GET.dict(), "title": title},
            task=tasks.export_queue,
        )
        return redirect(job)
    target = tempfile.TemporaryFile()
    rows = write_queue(results, target, title=title)
    target.seek(0)
    record_security(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"导出研判队列 {rows} 户",
        model="screening.ScreeningResult",
    )
    name = f"研判队列_{clock.today():%Y%m%d}.xlsx"
    return FileResponse(target, as_attachment=True, filename=name)


@login_required
@require_POST
def start_run(request):
    """Start re-screening a village or the whole campaign as a background job (office only)."""
    request.user.require(request.user.is_office, "只有民政办可以发起重新研判。")
    campaign = _campaign(request.user)
    if campaign is None:
        return _no_campaign(request, "重新研判")
    form = RunForm(request.POST, villages=_villages(campaign))
    if not form.is_valid():
        messages.error(request, "发起失败：所选的村不在本工作方案范围内。")
        return redirect("screening:queue")
    village = form.cleaned_data["village"]
    running = (
        Job.objects.filter(
            kind="screening",
            status__in=[Job.Status.PENDING, Job.Status.RUNNING],
            params__campaign_id=campaign.pk,
        )
        .order_by("-created_at")
        .first()
    )
    if running is not None:
        messages.warning(request, f"“{running.title}”尚未完成，请等它完成后再发起。")
        # A job's page belongs to whoever started it (issue 19.1).
        return redirect(running if running.owner_id == request.user.pk else "screening:queue")
    job = jobs.start_job(
        kind="screening",
        title=f"重新研判：{village.name if village else '全乡'}",
        owner=request.user,
        params={
            "campaign_id": campaign.pk,
            "village_id": village and village.pk,
            "force": form.cleaned_data["force"],
        },
        task=tasks.screen_campaign,
    )
    messages.success(request, "已开始重新研判，可在本页查看进度。")
    return redirect(job)


@login_required
@require_POST
def rescreen_household(request, pk):
    """Re-screen one household now (anyone who may edit it)."""
    request.user.require(request.user.can_edit_registry, "只读账户不能发起研判。")
    household = get_visible_household(request, pk)
    result = services.screen_household(household_id=household.pk, actor=request.user)
    if result is None:
        messages.error(request, "研判失败：该户所在乡镇没有当前活动的工作方案。")
    else:
        messages.success(request, f"研判完成：{result.get_outcome_display()}。")
    return redirect(household)


LOOKBACK_KINDS = {"": "全部", "exit": "退出低保", "refused": "申请低保未获通过"}


def _lookback_kind(params) -> str:
    kind = params.get("kind", "")
    return kind if kind in LOOKBACK_KINDS else ""


def lookback_queryset(campaign, user, params):
    households = services.lookback_households(campaign, user=user, kind=_lookback_kind(params))
    return households.select_related("village").order_by("village__code", "code")


def current_results(campaign, households) -> dict:
    """{household pk: current ScreeningResult} for a page (or chunk) of households."""
    return {
        r.household_id: r
        for r in ScreeningResult.objects.current(campaign)
        .filter(household_id__in=[h.pk for h in households])
        .defer("data", "params")
    }


@login_required
def lookback(request):
    """回头看 lists from the registry (洗府发〔2022〕156号 三(一)), each with its current verdict."""
    _require_reader(request.user)
    campaign = _campaign(request.user)
    if campaign is None:
        return _no_campaign(request, "回头看")
    kind = _lookback_kind(request.GET)
    households = lookback_queryset(campaign, request.user, request.GET)
    page = Paginator(households, PAGE_SIZE).get_page(request.GET.get("page"))
    results = current_results(campaign, page.object_list)
    rows = [(h, results.get(h.pk)) for h in page.object_list]
    return render(
        request,
        "screening/lookback.html",
        {
            "campaign": campaign,
            "kind": kind,
            "kinds": LOOKBACK_KINDS.items(),
            "rows": rows,
            "page_obj": page,
            "query_string": f"kind={kind}&" if kind else "",
        },
    )


@login_required
def lookback_export(request):
    """The 回头看 list as it is on the page (same kind), as .xlsx."""
    _require_reader(request.user)
    if _campaign(request.user) is None:
        return _no_campaign(request, "回头看")
    return export_response(request, "lookback")


def _standard_text(form) -> str:
    """“= 7,200.00 元/人/年（600.00 元/人/月）” for the standard typed, once it is valid."""
    both = form.standard_in_both_units() if form.is_bound and form.is_valid() else None
    if both is None:
        return ""
    monthly, annual = both
    return f"即 {monthly:,.2f} 元/人/月 = {annual:,.2f} 元/人/年"


@login_required
def what_if(request):
    """Try other parameters and see who would change outcome; nothing is saved."""
    _require_reader(request.user)
    campaign = _campaign(request.user)
    if campaign is None:
        return _no_campaign(request, "政策参数测算")
    form = WhatIfForm(request.GET or None, current_monthly=campaign.dibao_standard_monthly)
    report = None
    if form.is_valid():
        try:
            report = services.what_if(
                campaign=campaign, overrides=form.overrides(), user=request.user
            )
        except ValueError as exc:
            form.add_error(None, f"参数不合理：{exc}")
    return render(
        request,
        "screening/what_if.html",
        {
            "campaign": campaign,
            "form": form,
            "report": report,
            "changes": report.changes[:500] if report else [],
            "standard_text": _standard_text(form),
            "outcome_label": outcome_label,
        },
    )
