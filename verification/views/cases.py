"""Case pages: list, detail, transitions, data match, home visits, scans."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from households.models import Village
from households.views import get_visible_household
from xixin_dibao import clock
from xixin_dibao.audit import record_security
from xixin_dibao.exports import export_response
from xixin_dibao.models import AuditEvent
from xixin_dibao.params import id_param

from .. import datamatch_format, scans, services, states
from ..forms import DataMatchFormSet, DataMatchImportForm, HomeVisitForm, TransitionForm
from ..models import Case, HomeVisit
from ..services import CaseError, ImportRejected
from .common import (
    PAGE_SIZE,
    current_campaign,
    get_case,
    log_print,
    office_only,
    run_service,
    writers_only,
)


def filter_cases(qs, params):
    """The case list's filters; a malformed value (an edited URL) matches nothing, never a 500."""
    q = (params.get("q") or "").replace("\x00", "").strip()
    if q:
        qs = qs.filter(Q(household__head_name__contains=q) | Q(household__code__icontains=q))
    if params.get("village"):  # an edited URL's text or huge number matches nothing (19.12)
        village = id_param(params["village"])
        qs = qs.filter(household__village_id=village) if village else qs.none()
    for name, field in (("state", "state"), ("source", "source")):
        if params.get(name):
            qs = qs.filter(**{field: params[name][:40]})
    if params.get("overdue") == "1":
        qs = qs.filter(overdue=True)
    if params.get("registered") == "1":
        qs = qs.filter(separately_registered=True)
    return qs


def case_list_queryset(user, params, base=None):
    """The case list's rows: the user's cases of the current campaign, filtered, in order."""
    if base is None:
        base = Case.objects.for_user(user).filter(campaign=current_campaign(user))
    qs = filter_cases(base, params).select_related("household__village")
    qs = qs.annotate(member_count=Count("household__members"))
    return qs.order_by("household__village__code", "household__code")


@login_required
def case_list(request):
    campaign = current_campaign(request.user)
    base = Case.objects.for_user(request.user).filter(campaign=campaign)
    counts = dict(base.values_list("state").annotate(n=Count("pk")).order_by())
    qs = case_list_queryset(request.user, request.GET, base)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    villages = Village.objects.for_user(request.user)
    return render(
        request,
        "verification/case_list.html",
        {
            "campaign": campaign,
            "page_obj": page,
            "cases": page.object_list,
            "state_cards": [
                (s.value, states.STATE_LABELS[s], counts.get(s.value, 0)) for s in states.State
            ],
            "overdue_count": base.filter(overdue=True).count(),
            "villages": villages,
            "state_choices": states.STATE_CHOICES,
            "source_choices": Case.Source.choices,
            "params": request.GET,
            "query_string": params.urlencode() + "&" if params else "",
            "export_query": params.urlencode(),
        },
    )


@login_required
def case_list_export(request):
    """The case list with the page's filters, as .xlsx."""
    return export_response(request, "cases")


@login_required
@require_POST
def case_sync(request):
    office_only(request.user)
    campaign = current_campaign(request.user)
    if campaign is None:
        messages.error(request, "尚未设置当前工作方案。")
        return redirect("verification:case_list")
    opened = services.ensure_cases(campaign=campaign, actor=request.user)
    messages.success(request, f"已同步核查范围：新建案件 {opened} 户。")
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("verification:case_list")


def _page_url(page: str, case: Case) -> str:
    try:
        return reverse(page, args=[case.pk])
    except NoReverseMatch:
        return reverse(page)


def _actions(case: Case, user, gaps: list[str]) -> dict[str, list[dict]]:
    """The 办理 row: buttons (one shared reason box), links to pages, and blocked steps."""
    row = {"buttons": [], "links": [], "blocked": []}
    for action in services.case_actions(case=case, user=user):
        item = {"to": action.to.value, "label": action.rule.label, "blocked": action.blocked}
        if action.blocked and action.to == states.State.PENDING_REVIEW and gaps:
            item["blocked"] = "补齐上方“提交审核前还需要”所列材料后，才能提交审核。"
        if action.blocked:
            row["blocked"].append(item)
        elif action.rule.page:
            row["links"].append({**item, "url": _page_url(action.rule.page, case)})
        else:
            row["buttons"].append(item)
    return row


@login_required
def case_detail(request, pk, form=None):
    case = get_case(request, pk)
    household = case.household
    members = list(household.members.all())
    results = {r.member_id: r for r in case.data_matches.select_related("entered_by")}
    gaps = services.verification_gaps(case) if case.state in states.DATA_ENTRY_STATES else []
    return render(
        request,
        "verification/case_detail.html",
        {
            "case": case,
            "household": household,
            "member_rows": [(m, results.get(m.pk)) for m in members],
            "mismatches": services.case_mismatches(case) if results else [],
            "has_results": bool(results),
            "visits": case.home_visits.all(),
            "refusal": getattr(case, "refusal", None),
            "decisions": case.decisions.exclude(decision="").select_related("meeting"),
            "notice_entries": case.notice_entries.select_related("notice").prefetch_related(
                "objections"
            ),
            "registrations": case.registrations.select_related("declaration__declarant", "member"),
            "transitions": case.transitions.select_related("actor"),
            "gaps": gaps,
            "actions": _actions(case, request.user, gaps),
            "reason_field": (form or TransitionForm())["reason"],
            "transition_form": form,
            "cutoff_passed": clock.today() > case.campaign.verification_cutoff,
            "can_enter": case.state in states.DATA_ENTRY_STATES and not request.user.is_leadership,
            "verdict": services.screening_link.verdict_summaries(case.campaign, [household.pk]).get(
                household.pk
            ),
        },
    )


@login_required
@require_POST
@writers_only
def case_transition(request, pk):
    case = get_case(request, pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        rule = states.rule_for(case.state, data["to_state"])
        # Nothing written: the history records the step's own name (the button's wording).
        reason = data["reason"].strip() or (rule.label if rule else data["to_state"])
        done = run_service(
            request,
            form,
            lambda: services.transition(
                case=case,
                to_state=data["to_state"],
                actor=request.user,
                reason=reason,
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, f"已变更为“{case.state_label}”。")
            return redirect(case)
    elif "reason" in form.errors:
        messages.error(request, "未保存：" + form.errors["reason"][0])
    else:
        messages.error(request, "未保存：页面已过期，请刷新后重新办理。")
    case.refresh_from_db()
    return case_detail(request, pk, form=form)


# ---- data match -----------------------------------------------------------------------------


@login_required
@writers_only
def data_match_entry(request, pk):
    case = get_case(request, pk)
    members = [m for m in case.household.members.all() if m.co_resident]
    existing = {r.member_id: r for r in case.data_matches.all()}
    initial = []
    for m in members:
        row = {"member_id": m.pk}
        if m.pk in existing:
            r = existing[m.pk]
            row.update({f: getattr(r, f) for f in services.datamatch.FIELDS})
        initial.append(row)
    formset = DataMatchFormSet(request.POST or None, initial=initial, prefix="rows")
    version = request.POST.get("version") if request.method == "POST" else case.version
    if request.method == "POST" and not str(version or "").isdigit():
        # Without the version it was based on, the entry could overwrite another change (19.12).
        return HttpResponseBadRequest(
            "缺少或无效的版本号（version），未保存。请刷新页面后重新录入。"
        )
    if request.method == "POST" and formset.is_valid():
        by_id = {m.pk: m for m in members}
        rows = [
            {**f.cleaned_data, "member": by_id[f.cleaned_data["member_id"]]}
            for f in formset.forms
            if f.cleaned_data.get("matched_on") and f.cleaned_data.get("member_id") in by_id
        ]
        try:
            services.record_data_match(
                case=case,
                actor=request.user,
                rows=rows,
                expected_version=int(version),
            )
        except CaseError as exc:
            messages.error(request, "未保存：" + exc.message)
        else:
            messages.success(request, f"已保存 {len(rows)} 名成员的信息比对结果。")
            return redirect(case)
    elif request.method == "POST":
        messages.error(request, "未保存：请按红色提示修改，已填写的内容都保留着。")
    return render(
        request,
        "verification/data_match_form.html",
        {
            "case": case,
            "rows": list(zip(members, formset.forms, strict=True)),
            "formset": formset,
            "version": version,
            "cutoff_passed": clock.today() > case.campaign.verification_cutoff,
        },
    )


@login_required
@writers_only
def data_match_import(request):
    campaign = current_campaign(request.user)
    form = DataMatchImportForm(request.POST or None, request.FILES or None)
    errors = []
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    if request.method == "POST" and form.is_valid():
        try:
            summary = services.import_data_match(
                fileobj=form.cleaned_data["file"], actor=request.user, campaign=campaign
            )
        except ImportRejected as exc:
            errors = exc.errors
            messages.error(request, exc.message)
        except CaseError as exc:
            form.add_error("file", exc.message)
            messages.error(request, "未导入：" + exc.message)
            status = 400  # a fake or unreadable workbook is a bad request (issue 19.12)
        else:
            messages.success(
                request,
                f"导入完成：新增 {summary.created} 条、更新 {summary.updated} 条，涉及 {summary.cases} 户。",
            )
            return redirect("verification:case_list")
    return render(
        request,
        "verification/data_match_import.html",
        {"form": form, "errors": errors, "columns": datamatch_format.COLUMNS, "campaign": campaign},
        status=status,
    )


@login_required
def data_match_template(request):
    data = datamatch_format.build_workbook([])
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, "信息比对结果导入模板.xlsx")
    return response


@login_required
def data_match_pdf(request, pk):
    case = get_case(request, pk)
    log_print(
        request,
        summary=f"打印信息比对结果：{case.household.code}",
        household_id=case.household_id,
        obj=case,
    )
    return scans.pdf_response(
        services.render_data_match(case), f"信息比对结果-{case.household.head_name}.pdf"
    )


# ---- home visits and scans --------------------------------------------------------------------


@login_required
@writers_only
def home_visit_create(request, pk):
    case = get_case(request, pk)
    form = HomeVisitForm(
        request.POST or None, request.FILES or None, initial={"version": case.version}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_home_visit(
                case=case,
                actor=request.user,
                visited_on=data["visited_on"],
                investigators=data["investigators"],
                county_participated=data["county_participated"],
                members_finding=data["members_finding"],
                employment_income_finding=data["employment_income_finding"],
                property_finding=data["property_finding"],
                spending_finding=data["spending_finding"],
                scan=data["scan"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, "已保存入户调查记录。")
            return redirect(case)
    elif request.method == "POST":
        messages.error(request, "未保存：请按红色提示修改（扫描件需要重新选择）。")
    return render(
        request,
        "verification/simple_form.html",
        {
            "case": case,
            "form": form,
            "title": "录入入户调查",
            "multipart": True,
            "explain": "依据《最低生活保障审核确认办法》第十六条：调查人员不少于两人，入户调查表须由调查人员和在场家庭成员签字，上传签字表扫描件。",
        },
    )


def _serve_scan(request, case: Case, path: str, name: str):
    record_security(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"查看扫描件：{name}",
        model="verification.Case",
        object_id=case.pk,
        household_id=case.household_id,
    )
    return scans.scan_response(path, name)


@login_required
def visit_scan(request, pk):
    visit = get_object_or_404(HomeVisit.objects.select_related("case__household"), pk=pk)
    get_visible_household(request, visit.case.household_id)
    name = f"入户调查表-{visit.case.household.head_name}-{visit.visited_on:%Y%m%d}"
    return _serve_scan(request, visit.case, visit.scan_path, name)


@login_required
def receipt_scan(request, pk):
    case = get_case(request, pk)
    refusal = getattr(case, "refusal", None)
    if refusal is None or not refusal.receipt_scan_path:
        raise Http404("没有回执扫描件")
    return _serve_scan(
        request, case, refusal.receipt_scan_path, f"告知书回执-{case.household.head_name}"
    )
