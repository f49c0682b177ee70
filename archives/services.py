"""Dossier state changes: build a new dossier version, file an uploaded scan, start a batch.

洗府发〔2022〕156号 四(四): 一户一档; later material goes after the original approval material in
date order and the 卷内目录 is kept up to date, so every change of content yields a new version
(earlier versions are kept, each with its SHA-256).
"""

from datetime import date
from pathlib import Path

from django.db import IntegrityError, transaction

from households.models import Household, Village
from verification.scans import store_scan
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.jobs import dispatch, start_job, this_worker
from xixin_dibao.models import AuditEvent, Job

from .compile import compile_dossier, dossier_plan
from .files import atomic_write, household_file_stem, media_path, sha256_bytes, sha256_file
from .models import KIND_ORDER, Dossier, DossierDocument, Group

CANNOT_EDIT = "您没有整理这户档案的权限。"


def require_can_edit(user, household: Household) -> None:
    """Writers: the office, or a village officer for a household of their own village."""
    allowed = user.can_edit_registry and (
        not user.is_village_officer or household.village_id == user.village_id
    )
    user.require(allowed, CANNOT_EDIT)


def dossier_file_ok(dossier: Dossier | None) -> bool:
    """The stored file exists and still has the checksum recorded when it was built."""
    if dossier is None:
        return False
    path = media_path(dossier.file)
    return path.is_file() and sha256_file(path) == dossier.checksum


def is_current(dossier: Dossier | None, signature: str) -> bool:
    return dossier is not None and dossier.content_signature == signature


def _usable(dossier: Dossier | None, signature: str) -> bool:
    return is_current(dossier, signature) and dossier_file_ok(dossier)


def ensure_dossier(*, household: Household, actor) -> tuple[Dossier, bool]:
    """The household's current dossier, built anew only if its content changed or its file is bad."""
    plan = dossier_plan(household)
    current = Dossier.objects.current_for(household.pk)
    if _usable(current, plan[2]):
        return current, False
    return build_dossier(household=household, actor=actor, plan=plan), True


def build_dossier(*, household: Household, actor, plan=None) -> Dossier:
    """Compile the dossier PDF, store it as the next version and record who built it."""
    compiled = compile_dossier(household, plan)
    current = Dossier.objects.current_for(household.pk)
    if _usable(current, compiled.signature):
        return current  # a concurrent build (a redelivered batch task) stored the same content
    version = current.version + 1 if current else 1
    checksum = sha256_bytes(compiled.pdf)
    stem = household_file_stem(household.code, household.pk)
    relative = f"dossiers/{household.pk}/{stem}-v{version}-{checksum[:12]}.pdf"
    atomic_write(media_path(relative), compiled.pdf)  # file first: a row never points at nothing
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                household=household,
                version=version,
                checksum=checksum,
                file=relative,
                size=len(compiled.pdf),
                page_count=compiled.page_count,
                content_signature=compiled.signature,
                toc=compiled.toc,
                built_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            _sync_documents(household, compiled.toc)
            record_change(
                actor=actor,
                kind=AuditEvent.Kind.CREATE,
                obj=dossier,
                after=snapshot(dossier),
                summary=f"生成档案PDF {household.code} 第{version}版（{compiled.page_count}页）",
            )
    except IntegrityError:
        # Another worker stored this version first (a redelivered batch task): use theirs.
        winner = Dossier.objects.get(household=household, version=version)
        if winner.file != relative:
            media_path(relative).unlink(missing_ok=True)
        return winner
    return dossier


def _sync_documents(household: Household, toc: list[dict]) -> None:
    """Keep the generated documents' rows (with page counts) in step with the latest build."""
    rows = {d.key: d for d in DossierDocument.objects.filter(household=household)}
    keep = set()
    for entry in toc:
        key = entry["key"]
        if entry["source"] == DossierDocument.Source.UPLOADED:
            DossierDocument.objects.filter(household=household, key=key).exclude(
                page_count=entry["page_count"]
            ).update(page_count=entry["page_count"])
            continue
        keep.add(key)
        fields = {
            "kind": entry["kind"],
            "group": entry["group"],
            "title": entry["title"][:200],
            "doc_number": entry["doc_number"][:60],
            "responsible": entry["responsible"][:100],
            "date": date.fromisoformat(entry["date"]) if entry["date"] else None,
            "page_count": entry["page_count"],
            "order": KIND_ORDER.get(entry["kind"], 0),
            "note": entry["note"][:200],
            "source": DossierDocument.Source.GENERATED,
        }
        row = rows.get(key)
        if row is None:
            DossierDocument.objects.create(household=household, key=key, **fields)
        elif any(getattr(row, k) != v for k, v in fields.items()):
            DossierDocument.objects.filter(pk=row.pk).update(**fields)
    DossierDocument.objects.filter(
        household=household, source=DossierDocument.Source.GENERATED
    ).exclude(key__in=keep).delete()


def add_scan(
    *,
    household: Household,
    actor,
    upload,
    kind: str,
    title: str,
    doc_number: str = "",
    responsible: str = "",
    date: date | None = None,
    group: str = "",
    note: str = "",
) -> DossierDocument:
    """File an uploaded scan in the household's dossier and rebuild the dossier after commit.

    The file is checked and stored by verification.scans.store_scan (type by magic bytes, size
    limit, generated name); raises its ScanError with a Chinese message.
    """
    require_can_edit(actor, household)
    stored = store_scan(upload)
    relative = stored.path
    with transaction.atomic():
        document = DossierDocument.objects.create(
            household=household,
            key=f"uploaded:{Path(relative).stem}",
            kind=kind,
            group=group or Group.APPROVAL,
            title=title,
            doc_number=doc_number,
            responsible=responsible,
            date=date,
            page_count=stored.pages,
            order=KIND_ORDER.get(kind, 0),
            source=DossierDocument.Source.UPLOADED,
            file=relative,
            content_type=stored.content_type,
            sha256=sha256_file(media_path(relative)),
            size=stored.size,
            note=note,
            uploaded_by=actor,
        )
        record_change(
            actor=actor,
            kind=AuditEvent.Kind.CREATE,
            obj=document,
            after=snapshot(document),
            summary=f"上传档案扫描件：{title}",
        )
        transaction.on_commit(lambda: _schedule_rebuild(household.pk, actor.pk), robust=True)
    return document


def _schedule_rebuild(household_id: int, user_id: int) -> None:
    from .tasks import rebuild_dossier

    rebuild_dossier.delay(household_id, user_id)


def start_dossier_batch(*, user, village: Village | None = None) -> Job:
    """Queue a batch of dossier PDFs for a village (or the user's whole township) as one ZIP."""
    from .tasks import build_dossier_batch

    if village is None:
        user.require(user.is_office, "只有民政办可以生成全乡档案包。")
    else:
        user.require(
            user.can_edit_registry
            and (not user.is_village_officer or village.pk == user.village_id),
            "您只能为本村生成档案包。",
        )
    scope = village.name if village else (user.township.name if user.township else "全乡")
    return start_job(
        kind="dossier_batch",
        title=f"{scope}一户一档PDF档案包",
        owner=user,
        params={"village_id": village.pk if village else None},
        task=build_dossier_batch,
    )


def resume_dossier_batch(*, user, job: Job) -> Job:
    """Run an unfinished batch again (after a worker was lost): finished files are skipped."""
    from .tasks import build_dossier_batch

    user.require(job.owner_id == user.pk or user.is_office, "只能继续自己发起的档案包。")
    user.require(job.status != Job.Status.DONE, "该档案包已经生成完毕。")
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, finished_at=None, worker=this_worker(), heartbeat_at=None
    )
    transaction.on_commit(lambda: dispatch(build_dossier_batch, job.pk))
    return job
