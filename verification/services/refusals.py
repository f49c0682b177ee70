"""拒不配合核查: record it, issue the written notice, its delivery, the receipt, or an exception.

洗府发〔2022〕156号 三(二)2: 对无特殊情况拒不配合开展经济核查的，视为自动退出。各村对拒不配合
开展核查的对象，应以书面告知的形式送达被核查人，并将回执单交回给王静。
"""

from datetime import date

from django.db import transaction

from archives.pdf import render_pdf
from xixin_dibao import clock
from xixin_dibao.audit import record_change, snapshot
from xixin_dibao.models import AuditEvent
from xixin_dibao.paper import Block, Paper, to_docx

from .. import scans
from ..models import Case, Refusal
from ..states import State
from .cases import transition
from .common import CaseError, cn_date, require_case_writer, require_office

MIN_REASON = 10


def _not_future(day: date, label: str, field: str) -> None:
    if day > clock.today():
        raise CaseError(f"{label}不能晚于今天。", field=field)


@transaction.atomic
def record_refusal(
    *, case: Case, actor, refused_on: date, details: str, expected_version: int | None = None
) -> Refusal:
    """Record that the household refused the economic check; the case becomes 拒不配合."""
    require_case_writer(actor, case)
    _not_future(refused_on, "拒绝配合日期", "refused_on")
    if not (details or "").strip():
        raise CaseError("请写明拒不配合的具体情况（时间、经过、在场人员）。", field="details")
    if case.state != State.PENDING_VERIFICATION:
        raise CaseError(f"只有“待核查”的案件可以登记拒不配合，该案件当前为“{case.state_label}”。")
    refusal = Refusal.objects.filter(case=case).first()
    before = snapshot(refusal) if refusal else None
    if refusal is None:
        refusal = Refusal(case=case)
    # A new refusal after an earlier exception starts the notice procedure afresh.
    for name in (
        "notice_number",
        "delivered_by",
        "delivery_method",
        "receipt_scan_path",
        "exception_reason",
        "exit_reason",
        "reversal_reason",
    ):
        setattr(refusal, name, "")
    refusal.delivered_on = refusal.receipt_signed_on = refusal.receipt_received_on = None
    refusal.exception_by = refusal.exception_at = None
    refusal.exit_by = refusal.exit_at = refusal.reversed_by = refusal.reversed_at = None
    refusal.reply_by = None
    refusal.receipt_scan_pages = 0
    refusal.refused_on, refusal.details, refusal.recorded_by = refused_on, details.strip(), actor
    refusal.save()
    case.refusal = refusal
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE if before else AuditEvent.Kind.CREATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"登记拒不配合核查：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=State.REFUSED,
        actor=actor,
        reason=f"拒不配合经济核查：{details.strip()}"[:500],
        expected_version=expected_version,
    )
    return refusal


def notice_number(refusal: Refusal) -> str:
    """Give the notice its number, and fix the deadline it prints, the first time it is printed."""
    if not refusal.notice_number:
        number = f"洗民核告〔{refusal.case.campaign.year}〕{refusal.pk}号"
        Refusal.objects.filter(pk=refusal.pk, notice_number="").update(
            notice_number=number, reply_by=refusal.case.campaign.verification_cutoff
        )
        refusal.refresh_from_db(fields=["notice_number", "reply_by"])
    return refusal.notice_number


def refusal_notice_context(refusal: Refusal) -> dict:
    case = refusal.case
    household = case.household
    details = refusal.details.strip().rstrip("。；;，,") + "。"
    issued_on = cn_date(refusal.refused_on)
    reply_by = cn_date(refusal.reply_by or case.campaign.verification_cutoff)
    document = case.campaign.document_number or "洗府发〔2022〕156号"
    title = "拒不配合家庭经济状况核查告知书"
    paper = Paper(
        title=title,
        number=refusal.notice_number,
        body=(
            Block(f"{household.head_name}户（{household.village.name}）：", "flat"),
            Block(
                f"根据《洗新乡低保扩面扩围实施方案》（{document}），本次低保扩面扩围工作需对在册"
                "低保对象、新增低保对象、低保边缘家庭及其共同生活的家庭成员开展家庭经济状况"
                f"核查。{issued_on}，你户拒不配合开展经济核查：{details}"
            ),
            Block(
                "依据上述方案“对无特殊情况拒不配合开展经济核查的，视为自动退出”的规定，现书面告知如下："
            ),
            Block(
                f"一、请你户在{reply_by}前（含当日）配合完成家庭经济状况核查（签署核查授权书、"
                "如实申报家庭收入和财产、配合入户调查）。"
            ),
            Block("二、如有特殊情况无法配合的，请及时向村综合服务专干或乡民政与社会事务办说明。"),
            Block(
                "三、无特殊情况仍拒不配合的，视为自动退出：在册对象不再享受低保（低保边缘）待遇，"
                "新申请对象不予纳入。"
            ),
        ),
        closing=(Block("四、对本告知有异议的，可向洗新乡民政与社会事务办反映。"),),
        signature=("洗新乡民政与社会事务办（盖章）", issued_on),
        after=(
            Block("（沿此线剪开，回执联由村综合服务专干交回乡民政与社会事务办办公室主任）", "cut"),
            Block("回　执", "center"),
            Block(
                f"{household.head_name}户已收到洗新乡民政与社会事务办《{title}》"
                f"（{refusal.notice_number}）。"
            ),
            Block("被告知人（签字或按印）：＿＿＿＿＿＿　　签收日期：＿＿＿＿＿＿", "flat"),
            Block("送达人（签字）：＿＿＿＿＿＿　　见证人（留置送达时）：＿＿＿＿＿＿", "flat"),
            Block(
                "送达方式：□ 直接送达（本人签收）　□ 交同住成年家属签收　□ 留置送达　□ 邮寄送达",
                "flat",
            ),
        ),
    )
    return {
        "refusal": refusal,
        "details": details,
        "case": case,
        "household": household,
        "campaign": case.campaign,
        "number": refusal.notice_number,
        "issued_on": issued_on,
        "reply_by": reply_by,
        "paper": paper,
    }


def render_refusal_notice(refusal: Refusal) -> bytes:
    """The written notice (告知书) with its tear-off receipt (回执) as PDF."""
    return render_pdf("verification/pdf/refusal_notice.html", refusal_notice_context(refusal))


def render_refusal_notice_docx(refusal: Refusal) -> bytes:
    """The same notice and receipt as an editable Word document."""
    return to_docx(refusal_notice_context(refusal)["paper"])


@transaction.atomic
def record_delivery(
    *,
    case: Case,
    actor,
    delivered_on: date,
    delivered_by: str,
    method: str,
    expected_version: int | None = None,
) -> Refusal:
    """Record how and when the written notice reached the household."""
    require_case_writer(actor, case)
    refusal = getattr(case, "refusal", None)
    if refusal is None or case.state != State.REFUSED:
        raise CaseError("只有已登记“拒不配合”的案件可以登记告知书送达。")
    if not refusal.notice_number:
        raise CaseError("请先生成并打印书面告知书，再登记送达。")
    _not_future(delivered_on, "送达日期", "delivered_on")
    if delivered_on < refusal.refused_on:
        raise CaseError("送达日期不能早于拒绝配合日期。", field="delivered_on")
    if not (delivered_by or "").strip():
        raise CaseError("请填写送达人。", field="delivered_by")
    if method not in Refusal.DeliveryMethod.values:
        raise CaseError("请选择送达方式。", field="method")
    before = snapshot(refusal)
    refusal.delivered_on, refusal.delivered_by = delivered_on, delivered_by.strip()
    refusal.delivery_method = method
    refusal.save(update_fields=["delivered_on", "delivered_by", "delivery_method"])
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"登记告知书送达：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=State.NOTICE_DELIVERED,
        actor=actor,
        reason=(
            f"告知书{refusal.notice_number}于{cn_date(delivered_on)}由{refusal.delivered_by}"
            f"{refusal.get_delivery_method_display()}"
        ),
        expected_version=expected_version,
    )
    return refusal


@transaction.atomic
def record_receipt(
    *,
    case: Case,
    actor,
    scan,
    received_on: date,
    signed_on: date | None = None,
    expected_version: int | None = None,
) -> Refusal:
    """Record the returned receipt (回执) with its scan and the day it reached the director."""
    require_office(actor)
    require_case_writer(actor, case)
    refusal = getattr(case, "refusal", None)
    if refusal is None or case.state != State.NOTICE_DELIVERED:
        raise CaseError("只有告知书已送达的案件可以登记回执。")
    _not_future(received_on, "回执交回日期", "received_on")
    if received_on < refusal.delivered_on:
        raise CaseError("回执交回日期不能早于告知书送达日期。", field="received_on")
    if signed_on and not (refusal.delivered_on <= signed_on <= received_on):
        raise CaseError("回执签收日期应在送达日期与交回日期之间。", field="signed_on")
    if scan is None:
        raise CaseError("请上传回执扫描件。", field="scan")
    try:
        stored = scans.store_scan(scan)
    except scans.ScanError as exc:
        raise CaseError(str(exc), field="scan") from exc
    before = snapshot(refusal)
    refusal.receipt_scan_path, refusal.receipt_scan_pages = stored.path, stored.pages
    refusal.receipt_signed_on, refusal.receipt_received_on = signed_on, received_on
    refusal.receipt_recorded_by = actor
    refusal.save()
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"登记回执交回：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=State.RECEIPT_RETURNED,
        actor=actor,
        reason=f"回执于{cn_date(received_on)}交回民政办",
        expected_version=expected_version,
    )
    return refusal


@transaction.atomic
def record_exception(
    *, case: Case, actor, reason: str, expected_version: int | None = None
) -> Refusal:
    """The office director finds special circumstances: no exit, verification resumes."""
    require_office(actor)
    require_case_writer(actor, case)
    refusal = getattr(case, "refusal", None)
    if refusal is None or case.state not in (
        State.REFUSED,
        State.NOTICE_DELIVERED,
        State.RECEIPT_RETURNED,
    ):
        raise CaseError("只有处于拒不配合告知程序中的案件可以认定特殊情况。")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise CaseError(f"请详细说明特殊情况及理由（至少{MIN_REASON}个字）。", field="reason")
    return record_and_move(
        case=case,
        actor=actor,
        fields={"exception_reason": reason, "exception_by": actor, "exception_at": clock.now()},
        summary="认定特殊情况（不视为自动退出）",
        history="特殊情况",
        to_state=State.PENDING_VERIFICATION,
        reason=reason,
        expected_version=expected_version,
    )


def record_and_move(
    *,
    case: Case,
    actor,
    fields: dict,
    summary: str,
    history: str,
    to_state: State,
    reason: str,
    expected_version: int | None,
) -> Refusal:
    """Write `fields` on the case's refusal record, audit it, then move the case to `to_state`."""
    refusal = case.refusal
    before = snapshot(refusal)
    for name, value in fields.items():
        setattr(refusal, name, value)
    refusal.save(update_fields=list(fields))
    record_change(
        actor=actor,
        kind=AuditEvent.Kind.UPDATE,
        obj=refusal,
        before=before,
        after=snapshot(refusal),
        summary=f"{summary}：{case.household.head_name}户",
    )
    transition(
        case=case,
        to_state=to_state,
        actor=actor,
        reason=f"{history}：{reason}"[:500],
        expected_version=expected_version,
    )
    return refusal
