"""Progress dashboard pages: the figures, drill-down lists, .xlsx export and the 通报.

Who sees what (decided here, explained on the page):
- 民政办 (office, admin): everything, each figure links to the households behind it, and the
  "立即刷新" button.
- 领导小组 (leadership): the figures, charts, export and 通报 only, read-only: no household lists
  (no personal data), every POST answers 403.
- 村综合服务专干 (village officers) work from their to-do page: GETs are sent there, POSTs get 403.
"""

from __future__ import annotations

from datetime import date
from functools import wraps
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from households.models import Campaign, Household, Village

from . import bulletin, charts, clock, dashboard, dashboard_lists
from .audit import record_security
from .dashboard_tables import all_tables, days_left, ratio, stages, workbook_bytes
from .exports import export_response
from .models import AuditEvent, CoverageHistory
from .params import id_param

PAGE_SIZE = 50
HISTORY_DAYS = 120
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _campaigns_for(user):
    """Current campaigns the user may follow: their township's, or every township's (county)."""
    qs = Campaign.objects.current_campaigns().select_related("township")
    if user.township_id:
        qs = qs.filter(township_id=user.township_id)
    return qs.order_by("-year", "township__code", "-id")


def _campaign_for(request) -> Campaign | None:
    return campaign_from(request.user, request.GET)


def campaign_from(user, params) -> Campaign | None:
    """The campaign shown: ?campaign=<id> among the user's, else the first of them."""
    qs = _campaigns_for(user)
    chosen = id_param(params.get("campaign"))
    if chosen:
        return qs.filter(pk=chosen).first()
    return qs.first()


def _gate(request):
    """Village officers go to their to-do page; the rest may read. Returns a redirect or None."""
    if request.user.is_village_officer:
        if request.method != "GET":
            request.user.require(False, "村综合服务专干请在本村待办页面开展工作。")
        return redirect("home")
    return None


def dashboard_page(methods=("GET", "HEAD")):
    """login_required, the role gate, the allowed methods, then the campaign passed to the view.

    Leadership accounts are read-only: any method a page does not take answers 403 for them.
    """

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                if request.user.is_leadership:
                    request.user.require(False, "领导小组账户为只读账户，不能修改数据。")
                return HttpResponseNotAllowed(methods)
            response = _gate(request)
            if response is not None:
                return response
            campaign = _campaign_for(request)
            if campaign is None:
                return render(request, "dashboard/no_campaign.html")
            return view(request, campaign, *args, **kwargs)

        return wrapper

    return decorate


def _link_cells(tables, can_drill: bool, campaign) -> None:
    keys = dashboard_lists.drill_keys() if can_drill else set()
    base = reverse("dashboard_households")
    for table in tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.key in keys and cell.value:
                    params = {"campaign": campaign.pk, "key": cell.key}
                    if cell.village_id:
                        params["village"] = cell.village_id
                    cell.url = f"{base}?{urlencode(params)}"


def _charts(data: dict, history: list[CoverageHistory]) -> dict:
    villages = data["villages"]
    names = [v["name"] for v in villages]
    progress = charts.progress_bars(
        names,
        [
            ("摸排", [ratio(v["f"]["outreach_done"], v["f"]["outreach_due"]) for v in villages]),
            ("核查", [ratio(v["f"]["verification_done"], v["f"]["cases"]) for v in villages]),
            ("审核", [ratio(v["f"]["reviewed"], v["f"]["cases"]) for v in villages]),
        ],
        title="各村进度",
    )
    funnel = charts.funnel(
        [(label, done, base) for label, done, base, _ in stages(data["total"])],
        title="全乡各环节完成情况",
    )
    coverage = charts.line_chart(
        [(h.day, h.dibao_persons) for h in history],
        baseline=data["total"]["baseline_persons"],
        title="全乡低保人数变化（与2021年底比较）",
    )
    return {"progress": progress, "funnel": funnel, "coverage": coverage}


@dashboard_page()
def dashboard_view(request, campaign):
    """The figures for 领导小组 and 民政办 (read from the snapshot, computed if missing)."""
    snapshot = dashboard.current_snapshot(campaign)
    data = snapshot.data
    today = clock.today()
    history = list(
        CoverageHistory.objects.filter(campaign=campaign).order_by("-day")[:HISTORY_DAYS]
    )[::-1]
    can_drill = request.user.is_office
    tables = all_tables(data)
    _link_cells(tables, can_drill, campaign)
    total = data["total"]
    return render(
        request,
        "dashboard/index.html",
        {
            "campaign": campaign,
            "snapshot": snapshot,
            "computed_at": timezone.localtime(snapshot.computed_at),
            "data": data,
            "total": total,
            "tables": {t.slug: t for t in tables},
            "stages": [
                {"label": label, "done": done, "base": base, "ratio": ratio(done, base)}
                for label, done, base, _ in stages(total)
            ],
            "outreach": days_left(campaign.outreach_deadline, today),
            "cutoff": days_left(campaign.verification_cutoff, today),
            "charts": _charts(data, history),
            "can_drill": can_drill,
            "other_campaigns": _campaigns_for(request.user).exclude(pk=campaign.pk),
            "can_refresh": request.user.is_office,
            "below_households": total["now_households"] < total["baseline_households"],
            "below_persons": total["now_persons"] < total["baseline_persons"],
            "outreach_pct": charts.percent_text(
                ratio(total["outreach_done"], total["outreach_due"])
            ),
            "verification_pct": charts.percent_text(
                ratio(total["verification_done"], total["cases"])
            ),
        },
    )


@dashboard_page(methods=("POST",))
def dashboard_refresh(request, campaign):
    """立即刷新: recompute now (the office only; the periodic task does it every 5 minutes)."""
    request.user.require(request.user.is_office, "只有民政办可以刷新看板数据。")
    from .tasks import refresh_dashboard

    result = refresh_dashboard.delay(campaign.pk)
    if result.ready():
        messages.success(request, "看板数据已刷新。")
    else:
        messages.info(request, "已提交刷新，约一分钟内完成，请稍后刷新页面。")
    return redirect(f"{reverse('dashboard')}?campaign={campaign.pk}")


def drill_queryset(user, campaign, params):
    """The households behind figure ?key= (and ?village=) that `user` may see, in order."""
    user.require(user.is_office, "领导小组成员只查看统计数字，不查看家庭名单。")
    ids = dashboard_lists.household_ids(campaign, params.get("key", ""), clock.today())
    if ids is None:
        raise Http404("没有这一项统计")
    with transaction.atomic():
        dashboard.without_jit()
        # Materialised first (at most one township's households): PostgreSQL plans
        # "IN (correlated subquery) ORDER BY … LIMIT" as a slow index walk (3 s vs 0.2 s).
        ids = list(ids)
    qs = Household.objects.for_user(user).filter(pk__in=ids)
    village_id = id_param(params.get("village"))
    if village_id:
        qs = qs.filter(village_id=village_id)
    return qs.select_related("village", "group").order_by("village__code", "code")


@dashboard_page()
def dashboard_households(request, campaign):
    """The households behind one figure (民政办 only; leadership sees numbers, not people)."""
    qs = drill_queryset(request.user, campaign, request.GET)
    village_id = id_param(request.GET.get("village"))
    village = Village.objects.filter(pk=village_id).first() if village_id else None
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "dashboard/households.html",
        {
            "campaign": campaign,
            "label": _label_for(request.GET.get("key", "")),
            "village": village,
            "page_obj": page,
            "households": page.object_list,
            "query_string": params.urlencode() + "&",
            "export_query": params.urlencode(),
        },
    )


@dashboard_page()
def dashboard_households_export(request, campaign):
    """The drill-down list as .xlsx (民政办 only, like the page)."""
    return export_response(request, "dashboard_households")


def _label_for(key: str) -> str:
    """The Chinese name of a figure, for the drill-down page's title."""
    return FIGURE_LABELS.get(key, key)


@dashboard_page()
def dashboard_export(request, campaign):
    """The dashboard's tables as .xlsx (figures only, no personal data)."""
    snapshot = dashboard.current_snapshot(campaign)
    content = workbook_bytes(
        snapshot.data,
        title=campaign.name,
        computed_at=f"{timezone.localtime(snapshot.computed_at):%Y-%m-%d %H:%M}",
    )
    record_security(kind=AuditEvent.Kind.EXPORT, request=request, summary="导出进度看板统计表")
    response = HttpResponse(content, content_type=XLSX)
    filename = f"低保扩面扩围进度统计_{snapshot.as_of:%Y%m%d}.xlsx"
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    ascii_name = "dashboard." + filename.rsplit(".", 1)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _bulletin_context(campaign) -> tuple[dict, date]:
    snapshot = dashboard.current_snapshot(campaign)
    today = clock.today()
    context = bulletin.bulletin_context(snapshot.data, today, campaign.document_number or "")
    return context | {"campaign": campaign}, today


@dashboard_page()
def bulletin_view(request, campaign):
    """The 通报 as a printable page, with the rule that names a village as lagging."""
    context, _ = _bulletin_context(campaign)
    return render(request, "dashboard/bulletin.html", context)


@dashboard_page()
def bulletin_pdf(request, campaign):
    """The 通报 as an A4 PDF."""
    from archives.pdf import render_pdf

    context, today = _bulletin_context(campaign)
    pdf = render_pdf("dashboard/bulletin_pdf.html", context)
    record_security(kind=AuditEvent.Kind.PRINT, request=request, summary="生成工作进展情况通报PDF")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = _attachment(f"工作进展情况通报_{today:%Y%m%d}.pdf")
    return response


@dashboard_page()
def bulletin_docx(request, campaign):
    """The 通报 as a Word document, the same wording and table as the PDF."""
    from .paper import docx_response, to_docx

    context, today = _bulletin_context(campaign)
    record_security(
        kind=AuditEvent.Kind.PRINT, request=request, summary="下载工作进展情况通报Word版"
    )
    return docx_response(to_docx(context["paper"]), f"工作进展情况通报_{today:%Y%m%d}.docx")


def _figure_labels() -> dict[str, str]:
    """Figure key → what the households listed for it are."""
    from households.models import PriorityGroup

    from .dashboard import DECISIONS, EXIT_REASONS, OUTCOMES

    labels = {
        "outreach_due": "应摸排的重点对象",
        "outreach_done": "已摸排的重点对象",
        "outreach_pending": "未摸排的重点对象",
        "outreach_overdue": "摸排逾期（截止日后仍未摸排）",
        "cases": "核查对象",
        "datamatch_done": "信息比对已完成",
        "visit_done": "入户调查已完成",
        "verification_done": "完成核查（已提交审核或登记拒不配合）",
        "verification_open": "待核查",
        "verification_overdue": "核查逾期（截止日后仍待核查）",
        "reviewed": "已集体研究审核",
        "noticed": "已公示或报县",
        "archived": "已归档",
        "refusal": "拒不配合核查（告知、回执办理中）",
        "auto_exit": "视为自动退出",
        "scope_total": "本次工作对象",
        "scope_current": "在册对象（低保、边缘）",
        "scope_lookback": "回头看对象",
        "scope_groups": "十二类重点人群（任一类）",
        "screened_total": "已研判",
        "now_households": "现有低保户",
        "now_persons": "现有低保户",
        "entries_pending_households": "审核纳入低保、尚未登记救助的户",
        "entries_pending_persons": "审核纳入低保、尚未登记救助的户",
        "exits_pending_households": "审核退出或自动退出、救助尚未终止的户",
        "exits_pending_persons": "审核退出或自动退出、救助尚未终止的户",
        "entries_persons": "审核纳入低保的户",
        "exits_review_persons": "审核退出的户",
        "exits_auto_persons": "视为自动退出的户",
        "exits_registry_households": "本年度整户退出低保的户",
        "exits_registry_persons": "本年度有成员退出低保的户",
    }
    labels |= {f"outcome_{k}": f"研判结论为“{v}”的户" for k, v in OUTCOMES.items()}
    labels |= {f"decision_{k}": f"审核决定为“{v}”的户" for k, v in DECISIONS.items()}
    for code, label in EXIT_REASONS.items():
        labels[f"exits_registry_households_{code}"] = f"本年度整户退出低保（{label}）的户"
        labels[f"exits_registry_persons_{code}"] = f"本年度有成员退出低保（{label}）的户"
    for g in PriorityGroup:
        labels[f"group_{g.value}"] = f"{g.label}（识别）"
        labels[f"group_{g.value}_screened"] = f"{g.label}（已摸排）"
    return labels


FIGURE_LABELS = _figure_labels()
