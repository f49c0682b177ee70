"""Review meetings and decisions, 公示 and objections."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from households.models import Member, Village
from households.views import get_visible_household
from screening.benefit import rounding_places
from xixin_dibao import clock
from xixin_dibao.exports import export_response
from xixin_dibao.paper import docx_response

from .. import scans, services
from ..forms import AgendaDecisionForm, DecisionForm, MeetingForm, NoticeForm, ObjectionForm
from ..models import (
    Objection,
    PublicNotice,
    RelativeDeclaration,
    ReviewDecision,
    ReviewMeeting,
)
from ..services.agenda import agenda_summaries
from ..services.documents import public_notice_context
from .common import (
    current_campaign,
    get_case,
    log_print,
    office_only,
    office_or_leadership,
    run_service,
    writers_only,
)

# ---- meetings ---------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    office_or_leadership(request.user)
    meetings = ReviewMeeting.objects.filter(campaign=current_campaign(request.user))
    return render(request, "verification/meeting_list.html", {"meetings": meetings})


@login_required
@writers_only
def meeting_create(request):
    office_only(request.user)
    campaign = current_campaign(request.user)
    form = MeetingForm(request.POST or None, initial={"held_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        result = {}
        done = run_service(
            request,
            form,
            lambda: result.setdefault(
                "meeting", services.create_meeting(campaign=campaign, actor=request.user, **data)
            ),
        )
        if done:
            meeting = result["meeting"]
            messages.success(request, f"已创建会议，议程 {meeting.items.count()} 户。")
            return redirect(meeting)
    return render(
        request,
        "verification/simple_form.html",
        {
            "form": form,
            "title": "新建集体研究审核会议",
            "explain": "创建后，所有“待审核”的家庭自动列入议程；会后逐户录入审核意见和理由。",
        },
    )


def _meeting_page(request, meeting, bound=None, status=200):
    """The agenda; `bound`: item pk → (form as posted, whether its errors are shown)."""
    bound = bound or {}
    items = list(
        meeting.items.select_related(
            "case__household__village", "case__campaign", "decided_by"
        ).order_by("position")
    )
    recused = set()
    if request.user.is_office:
        numbers = set(
            RelativeDeclaration.objects.filter(declarant=request.user).values_list(
                "id_number", flat=True
            )
        )
        if numbers:
            recused = set(
                Member.objects.filter(
                    id_number__in=numbers, household__in=[i.case.household_id for i in items]
                ).values_list("household_id", flat=True)
            )
    verdicts = services.screening_link.verdict_summaries(
        meeting.campaign, [i.case.household_id for i in items]
    )
    summaries = agenda_summaries(items)
    rows = []
    for item in items:
        form, show_errors = None, False
        summary = summaries[item.pk]
        if request.user.is_office and item.case.state == "pending_review":
            if item.pk in bound:
                form, show_errors = bound[item.pk]
            else:
                form = AgendaDecisionForm(
                    initial={"version": item.case.version, "decision": summary.proposed},
                    prefix=f"item{item.pk}",
                )
        rows.append(
            {
                "item": item,
                "form": form,
                "show_errors": show_errors,
                "summary": summary,
                "recused": item.case.household_id in recused,
                "verdict": verdicts.get(item.case.household_id),
            }
        )
    deciding = any(r["form"] is not None and not r["recused"] for r in rows)
    return render(
        request,
        "verification/meeting_detail.html",
        {"meeting": meeting, "rows": rows, "deciding": deciding},
        status=status,
    )


@login_required
def meeting_detail(request, pk):
    office_or_leadership(request.user)
    meeting = get_object_or_404(ReviewMeeting, pk=pk)
    return _meeting_page(request, meeting)


@login_required
@require_POST
@writers_only
def meeting_refresh(request, pk):
    office_only(request.user)
    meeting = get_object_or_404(ReviewMeeting, pk=pk)
    added = services.build_agenda(meeting=meeting)
    messages.success(request, f"已将 {added} 户新的待审核家庭列入议程。")
    return redirect(meeting)


@login_required
@require_POST
@writers_only
def meeting_decide(request, pk, item_pk):
    office_only(request.user)
    meeting = get_object_or_404(ReviewMeeting, pk=pk)
    item = get_object_or_404(
        ReviewDecision.objects.select_related("case__household__village", "case__campaign"),
        pk=item_pk,
        meeting=meeting,
    )
    get_visible_household(request, item.case.household_id)
    form = DecisionForm(request.POST, prefix=f"item{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.decide_case(
                item=item,
                actor=request.user,
                decision=data["decision"],
                reasons=data["reasons"],
                per_capita_income_monthly=data["per_capita_income_monthly"],
                counted_members=data["counted_members"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, f"{_decided_text(item)}。")
            return redirect(f"{meeting.get_absolute_url()}#item{item.pk}")
    else:
        messages.error(request, "未保存：请按红色提示修改。")
    return _meeting_page(request, meeting, bound={item.pk: (form, True)})


@login_required
@require_POST
@writers_only
def meeting_decide_many(request, pk):
    """Decide every ticked agenda row in one submit; a refused row keeps its input and error."""
    office_only(request.user)
    meeting = get_object_or_404(ReviewMeeting, pk=pk)
    items = meeting.items.select_related("case__household__village", "case__campaign").filter(
        case__state="pending_review"
    )
    bound, saved, failed = {}, [], []
    for item in items:
        form = AgendaDecisionForm(request.POST, prefix=f"item{item.pk}")
        if not request.POST.get(f"item{item.pk}-include"):
            bound[item.pk] = (form, False)
            continue
        get_visible_household(request, item.case.household_id)
        if form.is_valid() and _decide(request, item, form):
            saved.append(item)
        else:
            failed.append(item)
            bound[item.pk] = (form, True)
    names = "；".join(_decided_text(i) for i in saved)
    if not saved and not failed:
        messages.warning(request, "没有勾选“本次决定”的家庭，未保存任何决定。")
    elif saved:
        messages.success(request, f"已保存 {len(saved)} 户的审核决定：{names}。")
    if failed:
        messages.error(
            request,
            f"{len(failed)} 户未保存，请按该户下方的红色提示修改；其他家庭已填写的内容都保留着。",
        )
        return _meeting_page(request, meeting, bound=bound)
    if any((f.data.get(f.add_prefix("reasons")) or "").strip() for f, _ in bound.values()):
        # Rows with reasons typed but not ticked: keep what was typed on the page.
        messages.warning(request, "有家庭填写了理由但没有勾选“本次决定”，尚未保存，内容已保留。")
        return _meeting_page(request, meeting, bound=bound)
    return redirect(meeting)


def _decided_text(item) -> str:
    """“张三户：纳入低保，月保障金 793 元/户”: the amount in the campaign's rounding unit."""
    amount = ""
    if item.monthly_amount:
        places = rounding_places(item.case.campaign.benefit_rounding)
        amount = f"，月保障金 {item.monthly_amount:,.{places}f} 元/户"
    return f"{item.case.household.head_name}户：{item.get_decision_display()}{amount}"


def _decide(request, item, form) -> bool:
    """Call decide_case for one row; put a refusal on that row's form."""
    data = form.cleaned_data
    try:
        services.decide_case(
            item=item,
            actor=request.user,
            decision=data["decision"],
            reasons=data["reasons"],
            per_capita_income_monthly=data["per_capita_income_monthly"],
            counted_members=data["counted_members"],
            expected_version=data["version"],
        )
    except services.CaseError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@login_required
def meeting_minutes_pdf(request, pk):
    office_or_leadership(request.user)
    meeting = get_object_or_404(ReviewMeeting, pk=pk)
    log_print(request, summary=f"打印会议记录：{meeting}", obj=meeting)
    return scans.pdf_response(
        services.render_minutes(meeting), f"集体研究审核会议记录-{meeting.held_on:%Y%m%d}.pdf"
    )


def _printed_decision_notice(request, pk, *, word: bool = False):
    """A negative decision of a household the user sees, its printing audited; else 404."""
    item = get_object_or_404(ReviewDecision.objects.select_related("case", "meeting"), pk=pk)
    case = get_case(request, item.case_id)
    if not item.is_negative:
        raise Http404("该决定不需要不符合条件告知书")
    log_print(
        request,
        summary=f"{'下载Word版' if word else '打印'}不符合条件告知书 {item.notice_number}",
        household_id=case.household_id,
        obj=item,
    )
    return item, f"不符合条件告知书-{case.household.head_name}-{clock.today():%Y%m%d}"


@login_required
def decision_notice_pdf(request, pk):
    item, name = _printed_decision_notice(request, pk)
    return scans.pdf_response(services.render_decision_notice(item), f"{name}.pdf")


@login_required
def decision_notice_docx(request, pk):
    item, name = _printed_decision_notice(request, pk, word=True)
    return docx_response(services.render_decision_notice_docx(item), f"{name}.docx")


# ---- 公示 ---------------------------------------------------------------------------------------


def _visible_notices(user):
    notices = PublicNotice.objects.filter(campaign=current_campaign(user)).select_related("village")
    if user.is_village_officer:
        notices = notices.filter(village_id=user.village_id)
    return notices


def _get_notice(request, pk) -> PublicNotice:
    return get_object_or_404(_visible_notices(request.user), pk=pk)


@login_required
def notice_list(request):
    notices = list(_visible_notices(request.user))
    today = clock.today()
    rows = [(n, services.notice_status(n, today)) for n in notices]
    return render(request, "verification/notice_list.html", {"rows": rows})


@login_required
@writers_only
def notice_create(request):
    office_only(request.user)
    campaign = current_campaign(request.user)
    form = NoticeForm(request.POST or None, initial={"start_date": clock.today()})
    form.fields["village"].queryset = Village.objects.filter(township_id=campaign.township_id)
    if request.method == "POST" and form.is_valid():
        result = {}
        done = run_service(
            request,
            form,
            lambda: result.setdefault(
                "notice",
                services.create_public_notice(
                    campaign=campaign,
                    village=form.cleaned_data["village"],
                    start_date=form.cleaned_data["start_date"],
                    actor=request.user,
                ),
            ),
        )
        if done:
            notice = result["notice"]
            messages.success(
                request, f"已生成公示 {notice.number}，共 {notice.entries.count()} 户。"
            )
            return redirect(notice)
    return render(
        request,
        "verification/simple_form.html",
        {
            "form": form,
            "title": "生成张榜公示",
            "explain": (
                f"该村所有“已审核”且拟纳入或维持的家庭列入公示，公示期 {campaign.notice_days} 天。"
                "公示内容只有姓名、家庭人口和保障金额，不含身份证号、住址、病残和收入明细。"
            ),
        },
    )


@login_required
def notice_detail(request, pk):
    notice = _get_notice(request, pk)
    entries = notice.entries.select_related("case", "decision").prefetch_related("objections")
    return render(
        request,
        "verification/notice_detail.html",
        {
            "notice": notice,
            "entries": entries,
            "status": services.notice_status(notice),
            "period_over": clock.today() > notice.end_date,
        },
    )


@login_required
def notice_export(request, pk):
    """The households of one 公示 (拟纳入、维持), as .xlsx."""
    _get_notice(request, pk)  # 404 for a notice the user may not see
    return export_response(request, "notice", QueryDict(f"notice={pk}"))


@login_required
def notice_print(request, pk):
    notice = _get_notice(request, pk)
    log_print(request, summary=f"打印公示（网页）{notice.number}", obj=notice)
    html = render_to_string(
        "verification/pdf/public_notice.html",
        {
            **public_notice_context(notice),
            "pdf_font_family": settings.PDF_FONT_FAMILY,
            "html": True,
            # Served as a web page: its one inline <style> carries this response's CSP nonce.
            "csp_nonce": str(request.csp_nonce),
        },
    )
    return HttpResponse(html)


@login_required
def notice_pdf(request, pk):
    notice = _get_notice(request, pk)
    log_print(request, summary=f"打印公示 {notice.number}", obj=notice)
    return scans.pdf_response(
        services.render_public_notice(notice), f"张榜公示-{notice.village.name}.pdf"
    )


@login_required
@require_POST
@writers_only
def notice_report(request, pk):
    office_only(request.user)
    notice = _get_notice(request, pk)
    try:
        count = services.report_notice(notice=notice, actor=request.user)
    except services.CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"公示期满无异议的 {count} 户已报县。")
    return redirect(notice)


@login_required
@writers_only
def objection_create(request, pk):
    office_only(request.user)
    case = get_case(request, pk)
    entry = case.notice_entries.filter(withdrawn=False).select_related("notice").last()
    if entry is None:
        messages.error(request, "该户不在公示中，不能登记异议。")
        return redirect(case)
    form = ObjectionForm(
        request.POST or None, initial={"version": case.version, "received_on": clock.today()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.record_objection(
                entry=entry,
                actor=request.user,
                received_on=data["received_on"],
                objector=data["objector"],
                content=data["content"],
                action=data["action"],
                expected_version=data["version"],
            ),
        )
        if done:
            messages.success(request, f"已登记异议，该户已撤出公示，转为“{case.state_label}”。")
            return redirect(case)
    return render(
        request,
        "verification/simple_form.html",
        {
            "case": case,
            "form": form,
            "title": f"登记公示异议（{entry.notice.number}）",
            "explain": "依据《最低生活保障审核确认办法》第十九条：公示有异议的，应重新调查核实或组织民主评议，重新提出审核意见。",
        },
    )


@login_required
def objection_list(request):
    objections = Objection.objects.filter(
        entry__notice__campaign=current_campaign(request.user)
    ).select_related("entry__notice__village", "entry__case", "recorded_by")
    if request.user.is_village_officer:
        objections = objections.filter(entry__notice__village_id=request.user.village_id)
    return render(request, "verification/objection_list.html", {"objections": objections})
