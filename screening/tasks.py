"""Celery tasks: take ids, load, call one service. Re-running one gives the same current verdicts."""

from celery import shared_task


@shared_task
def screen_campaign(job_id: int) -> None:
    """Screen a village or the whole campaign for a background job, reporting progress."""
    from xixin_dibao.jobs import claimed

    with claimed(job_id) as job:
        if job is not None:
            _screen(job)


def _screen(job) -> None:
    from households.models import Campaign, Village
    from xixin_dibao.jobs import fail_job, finish_job, set_progress

    from . import services

    params = job.params
    try:
        campaign = Campaign.objects.get(pk=params["campaign_id"])
        village = Village.objects.get(pk=params["village_id"]) if params.get("village_id") else None
        set_progress(job, done=0, message="正在研判……")
        run = services.screen_households(
            campaign=campaign,
            village=village,
            actor=job.owner,
            force=bool(params.get("force")),
            job=job,
            progress=lambda done, total: set_progress(job, done=done, total=total),
        )
    except Exception as exc:
        fail_job(job, f"研判失败：{exc}")
        raise
    finish_job(job, message=f"研判完成（{run.scope_label}）：{services.run_summary(run)}。")


@shared_task
def screen_households(household_ids: list[int]) -> None:
    """Re-screen the given households (e.g. after an import) under their active campaign."""
    from . import services

    services.rescreen(household_ids=household_ids)


@shared_task
def export_queue(job_id: int) -> None:
    """Write a large filtered queue to .xlsx for a background job."""
    from xixin_dibao.jobs import claimed

    with claimed(job_id) as job:
        if job is not None:
            _export_queue(job)


def _export_queue(job) -> None:
    from households.models import Campaign
    from xixin_dibao.audit import record_security
    from xixin_dibao.diskwrite import DiskFullError, atomic_file
    from xixin_dibao.jobs import fail_job, finish_job, result_path, set_progress
    from xixin_dibao.models import AuditEvent

    from .export import write_queue
    from .forms import filter_queue, order_queue, queue_results

    try:
        campaign = Campaign.objects.get(pk=job.params["campaign_id"])
        _, data, base = queue_results(
            user=job.owner, campaign=campaign, params=job.params.get("filters") or {}
        )
        results = order_queue(filter_queue(base, data), data.get("sort", ""))
        set_progress(job, done=0, total=results.count(), message="正在导出……")
        path = result_path(job, "screening_queue.xlsx")
        with atomic_file(path) as handle:  # whole file or none (a full disk: Chinese message)
            rows = write_queue(results, handle, title=job.params.get("title", "研判队列"))
    except DiskFullError as exc:  # expected, said in Chinese; nothing to retry or trace
        fail_job(job, f"导出失败：{exc}")
        return
    except Exception as exc:
        fail_job(job, f"导出失败：{exc}")
        raise
    record_security(
        actor=job.owner,
        kind=AuditEvent.Kind.EXPORT,
        summary=f"导出研判队列 {rows} 户",
        model="screening.ScreeningResult",
    )
    finish_job(job, message=f"已导出 {rows} 户。", path=path, name="研判队列.xlsx")
