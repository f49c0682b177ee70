"""Archive pages: the archive home, a household's dossier, scans, rosters and dossier batches."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from households.models import Village
from households.views import get_visible_household
from verification.scans import ScanError, scan_response
from xixin_dibao.audit import record_security
from xixin_dibao.models import AuditEvent, Job
from xixin_dibao.params import id_param

from . import services
from .compile import dossier_plan
from .files import media_path
from .forms import ScanUploadForm
from .models import Dossier, DossierDocument
from .rosters import ROSTER_KINDS, roster_filename, write_roster


def visible_villages(user):
    """Villages whose rosters and batches the user may request."""
    return Village.objects.for_user(user).select_related("township")


@login_required
def index(request):
    villages = list(
        visible_villages(request.user).annotate(
            household_count=Count("household", distinct=True),
            dossier_count=Count(
                "household", filter=Q(household__dossiers__isnull=False), distinct=True
            ),
        )
    )
    # A household belongs to one village, so the township's totals are the rows' sums.
    totals = {
        "households": sum(v.household_count for v in villages),
        "dossiers": sum(v.dossier_count for v in villages),
    }
    jobs = Job.objects.filter(owner=request.user, kind="dossier_batch").order_by("-created_at")[:10]
    return render(
        request,
        "archives/index.html",
        {
            "villages": villages,
            "totals": totals,
            "jobs": jobs,
            "roster_kinds": ROSTER_KINDS.values(),
        },
    )


@login_required
def household_dossier(request, pk):
    household = get_visible_household(request, pk)
    return _dossier_page(request, household, ScanUploadForm())


def _dossier_page(request, household, form, status=200):
    _, docs, signature = dossier_plan(household)
    versions = list(household.dossiers.select_related("built_by"))
    current = versions[0] if versions else None
    up_to_date = services.is_current(current, signature)
    pages = {row["key"]: row for row in current.toc} if up_to_date else {}
    return render(
        request,
        "archives/household.html",
        {
            "household": household,
            "docs": [(doc, pages.get(doc.key)) for doc in docs],
            "current": current,
            "up_to_date": up_to_date,
            "versions": versions,
            "form": form,
            "can_edit": _can_edit(request.user, household),
        },
        status=status,
    )


def _can_edit(user, household) -> bool:
    return user.can_edit_registry and (
        not user.is_village_officer or household.village_id == user.village_id
    )


@login_required
@require_POST
def build(request, pk):
    household = get_visible_household(request, pk)
    services.require_can_edit(request.user, household)
    dossier, built = services.ensure_dossier(household=household, actor=request.user)
    if built:
        messages.success(request, f"已生成档案PDF第{dossier.version}版，共{dossier.page_count}页。")
    else:
        messages.info(request, f"档案内容没有变化，当前第{dossier.version}版即为最新。")
    return redirect("archives:household", pk=household.pk)


@login_required
@require_POST
def upload(request, pk):
    household = get_visible_household(request, pk)
    services.require_can_edit(request.user, household)
    form = ScanUploadForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_scan(
                household=household,
                actor=request.user,
                upload=data["file"],
                kind=data["kind"],
                group=data["group"],
                title=data["title"],
                doc_number=data["doc_number"],
                responsible=data["responsible"],
                date=data["date"],
                note=data["note"],
            )
        except ScanError as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"已归档：{data['title']}。档案PDF已按新内容更新。")
            return redirect("archives:household", pk=household.pk)
    messages.error(request, "上传失败：请按红色提示修改，已填写的内容都保留着（文件需重新选择）。")
    return _dossier_page(request, household, form, status=400)


def _send_dossier(request, household, dossier: Dossier):
    if not services.dossier_file_ok(dossier):
        messages.error(request, "档案文件缺失或校验不一致，请重新生成。")
        return redirect("archives:household", pk=household.pk)
    record_security(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"下载档案PDF {household.code} 第{dossier.version}版",
        model="archives.Dossier",
        object_id=dossier.pk,
        household_id=household.pk,
    )
    name = f"{household.code}_{household.head_name}_一户一档_第{dossier.version}版.pdf"
    return FileResponse(
        media_path(dossier.file).open("rb"),
        as_attachment=True,
        filename=name.replace("/", "_").replace("\\", "_"),
        content_type="application/pdf",
    )


@login_required
def download(request, pk, version=None):
    household = get_visible_household(request, pk)
    dossiers = household.dossiers.all()
    dossier = dossiers.filter(version=version).first() if version else dossiers.first()
    if dossier is None:
        raise Http404("尚未生成档案PDF")
    return _send_dossier(request, household, dossier)


@login_required
def scan_download(request, pk, doc_pk):
    household = get_visible_household(request, pk)
    document = get_object_or_404(
        DossierDocument, pk=doc_pk, household=household, source=DossierDocument.Source.UPLOADED
    )
    response = scan_response(document.file, document.title.replace("/", "_"), inline=False)
    record_security(
        kind=AuditEvent.Kind.EXPORT,
        request=request,
        summary=f"查看档案扫描件 {household.code}：{document.title}",
        model="archives.DossierDocument",
        object_id=document.pk,
        household_id=household.pk,
    )
    return response


@login_required
def roster(request, kind):
    if kind not in ROSTER_KINDS:
        raise Http404("没有这种花名册")
    user = request.user
    village = None
    if request.GET.get("village"):
        village_id = id_param(request.GET["village"])
        if village_id is None:
            return HttpResponseBadRequest("参数“村”无效。")
        village = get_object_or_404(visible_villages(user), pk=village_id)
    else:
        user.require(not user.is_village_officer, "村综合服务专干只能导出本村花名册。")
    reveal = request.GET.get("reveal") == "1" and user.can_reveal_ids
    handle = tempfile.TemporaryFile()
    result = write_roster(handle, user=user, kind=kind, village=village, reveal=reveal)
    handle.seek(0)
    name = roster_filename(user=user, kind=kind, village=village)
    summary = f"导出{Path(name).stem}（{result.rows}人，身份证号{'完整' if reveal else '已隐藏'}）"
    record_security(kind=AuditEvent.Kind.EXPORT, request=request, summary=summary)
    if reveal:
        record_security(kind=AuditEvent.Kind.REVEAL, request=request, summary=summary)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_POST
def batch_create(request):
    user = request.user
    village = None
    if request.POST.get("village"):
        village_id = id_param(request.POST["village"])
        if village_id is None:
            return HttpResponseBadRequest("参数“村”无效。")
        village = get_object_or_404(visible_villages(user), pk=village_id)
    job = services.start_dossier_batch(user=user, village=village)
    messages.success(request, "档案包已开始生成，可在本页查看进度，完成后下载ZIP。")
    return redirect(job)


@login_required
@require_POST
def batch_resume(request, token):
    # Only the user who started the batch may see or resume it (issue 19.1).
    job = get_object_or_404(Job, token=token, kind="dossier_batch", owner=request.user)
    services.resume_dossier_batch(user=request.user, job=job)
    messages.success(request, "已继续生成档案包：已完成的家庭会跳过，只生成其余家庭。")
    return redirect(job)
