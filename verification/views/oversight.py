"""Deadline notifications, the unscreened list, the bulletin draft, close-relative declarations."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render

from households import idnumber
from households.models import Household
from xixin_dibao import clock
from xixin_dibao.paper import docx_response

from .. import services
from ..forms import BulletinForm, RelativeForm
from ..models import Bulletin, Notification, RelativeDeclaration, SeparateRegistration
from .common import (
    PAGE_SIZE,
    current_campaign,
    log_print,
    office_only,
    run_service,
    writers_only,
)


@login_required
def notification_list(request):
    campaign = current_campaign(request.user)
    notifications = Notification.objects.filter(campaign=campaign).select_related("village")
    if request.user.is_village_officer:
        notifications = notifications.filter(village_id=request.user.village_id)
    unscreened = Household.objects.none()
    past_outreach = campaign is not None and clock.today() > campaign.outreach_deadline
    if past_outreach:
        unscreened = (
            services.unscreened_households(campaign)
            .filter(pk__in=Household.objects.for_user(request.user).values("pk"))
            .select_related("village")
            .order_by("village__code", "code")
        )
    page = Paginator(unscreened, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/notification_list.html",
        {
            "campaign": campaign,
            "notifications": notifications,
            "past_outreach": past_outreach,
            "page_obj": page,
            "unscreened": page.object_list,
            "bulletin": Bulletin.objects.filter(campaign=campaign).first(),
            "query_string": "",
        },
    )


@login_required
@writers_only
def bulletin_detail(request):
    request.user.require(not request.user.is_village_officer, "通报草稿由民政办起草。")
    bulletin = Bulletin.objects.filter(campaign=current_campaign(request.user)).first()
    if bulletin is None:
        messages.info(request, "摸排截止日过后，系统自动生成通报草稿。")
        if request.user.is_leadership:  # the deadlines page lists households
            return redirect("dashboard_bulletin")
        return redirect("verification:notification_list")
    form = BulletinForm(
        request.POST or None, initial={"title": bulletin.title, "body": bulletin.body}
    )
    if request.method == "POST":
        office_only(request.user)
        if form.is_valid():
            bulletin.title, bulletin.body = form.cleaned_data["title"], form.cleaned_data["body"]
            bulletin.edited_by = request.user
            bulletin.save()
            messages.success(request, "通报草稿已保存。")
            return redirect("verification:bulletin_detail")
    return render(
        request, "verification/bulletin_detail.html", {"bulletin": bulletin, "form": form}
    )


@login_required
def bulletin_docx(request):
    """The 通报 draft as saved, as a Word document to finish in WPS or Word."""
    request.user.require(not request.user.is_village_officer, "通报草稿由民政办起草。")
    bulletin = get_object_or_404(Bulletin, campaign=current_campaign(request.user))
    log_print(request, summary="下载通报草稿Word版", obj=bulletin)
    return docx_response(
        services.render_bulletin_draft_docx(bulletin), f"通报草稿-{clock.today():%Y%m%d}.docx"
    )


@login_required
@writers_only
def relative_list(request):
    declarations = RelativeDeclaration.objects.select_related("declarant")
    registrations = SeparateRegistration.objects.select_related(
        "case__household__village", "declaration__declarant", "member"
    ).filter(case__campaign=current_campaign(request.user))
    if not request.user.is_office:
        declarations = declarations.filter(declarant=request.user)
        registrations = registrations.filter(declaration__declarant=request.user)
    form = RelativeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            request,
            form,
            lambda: services.declare_relative(
                actor=request.user,
                declarant=data["declarant"],
                name=data["name"],
                id_number=data["id_number"],
                relation=data["relation"],
            ),
        )
        if done:
            messages.success(
                request, f"已备案：{data['name']}（{idnumber.mask(data['id_number'])}）。"
            )
            return redirect("verification:relative_list")
    return render(
        request,
        "verification/relative_list.html",
        {"declarations": declarations, "registrations": registrations, "form": form},
    )
