"""Documents the verification app produces or stores, rendered to PDF for printing and dossiers."""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from archives.pdf import render_pdf
from xixin_dibao.paper import Block, Paper, to_docx

from ..models import Case, PublicNotice, ReviewDecision, ReviewMeeting
from .common import cn_date
from .datamatch import case_mismatches
from .refusals import render_refusal_notice

OFFICE_NAME = "洗新乡民政与社会事务办"
GOVERNMENT_NAME = "洗新乡人民政府"
COUNTY_CHECK = "石柱县社会救助家庭经济状况核查认定信息管理系统"


def minutes_context(meeting: ReviewMeeting, items=None) -> dict:
    items = items if items is not None else meeting.items.select_related("case__household__village")
    return {
        "meeting": meeting,
        "items": list(items),
        "held_on": cn_date(meeting.held_on),
        "government": GOVERNMENT_NAME,
    }


def render_minutes(meeting: ReviewMeeting) -> bytes:
    """The meeting's minutes: attendees, recorder, and each case's decision with reasons."""
    return render_pdf("verification/pdf/minutes.html", minutes_context(meeting))


def render_decision_extract(item: ReviewDecision) -> bytes:
    """The minutes restricted to one household, for its dossier."""
    context = minutes_context(item.meeting, [item])
    context["extract"] = True
    return render_pdf("verification/pdf/minutes.html", context)


def decision_notice_context(item: ReviewDecision) -> dict:
    household, meeting = item.case.household, item.meeting
    issued_on = cn_date(
        timezone.localdate(item.decided_at) if item.decided_at else item.meeting.held_on
    )
    document = item.case.campaign.document_number or "洗府发〔2022〕156号"
    if item.decision == ReviewDecision.Decision.EXIT:
        outcome = "你户已不再符合最低生活保障（低保边缘）条件，决定退出。"
    else:
        outcome = "你户不符合最低生活保障（低保边缘）条件，决定不予纳入。"
    paper = Paper(
        title="不符合条件告知书",
        number=item.notice_number,
        body=(
            Block(f"{household.head_name}户（{household.village.name}）：", "flat"),
            Block(
                f"根据《洗新乡低保扩面扩围实施方案》（{document}）和《最低生活保障审核确认办法》，"
                f"经{cn_date(meeting.held_on)}集体研究审核（{meeting.number}），结合家庭经济状况"
                f"信息比对结果和入户调查情况，{outcome}"
            ),
            Block("理由如下："),
            Block(item.reasons, "box"),
        ),
        closing=(
            Block(
                "如对本决定有异议，可自收到本告知书之日起向洗新乡人民政府或石柱土家族自治县"
                "民政局提出，也可依法申请行政复议或者提起行政诉讼。家庭情况发生变化的，"
                "可重新提出申请。"
            ),
        ),
        signature=(f"{GOVERNMENT_NAME}（盖章）", issued_on),
        after=(Block("签收人：＿＿＿＿＿＿　　签收日期：＿＿＿＿年＿＿月＿＿日", "flat"),),
    )
    return {
        "item": item,
        "case": item.case,
        "household": household,
        "campaign": item.case.campaign,
        "meeting": meeting,
        "issued_on": issued_on,
        "office": OFFICE_NAME,
        "government": GOVERNMENT_NAME,
        "paper": paper,
    }


def render_decision_notice(item: ReviewDecision) -> bytes:
    """不符合条件告知书: the negative decision and its written reasons."""
    return render_pdf("verification/pdf/decision_notice.html", decision_notice_context(item))


def render_decision_notice_docx(item: ReviewDecision) -> bytes:
    """The same 不符合条件告知书 as an editable Word document."""
    return to_docx(decision_notice_context(item)["paper"])


def public_notice_context(notice: PublicNotice) -> dict:
    """Only name, household size and amount per household: nothing else reaches the template."""
    sections = {}
    labels = dict(ReviewDecision.Decision.choices)
    entries = notice.entries.filter(withdrawn=False).select_related("decision").order_by("id")
    for entry in entries:
        rows = sections.setdefault(entry.decision.decision, [])
        rows.append(
            {
                "name": entry.name,
                "household_size": entry.household_size,
                "monthly_amount": entry.monthly_amount,
            }
        )
    order = [d for d in ReviewDecision.Decision.values if d in sections]
    return {
        "notice": {
            "number": notice.number,
            "village": notice.village.name,
            "start": cn_date(notice.start_date),
            "end": cn_date(notice.end_date),
            "days": notice.days,
        },
        "sections": [
            {"title": f"拟{labels[d]}" if d != "maintain" else "维持", "rows": sections[d]}
            for d in order
        ],
        "office": OFFICE_NAME,
        "government": GOVERNMENT_NAME,
    }


def render_public_notice(notice: PublicNotice) -> bytes:
    return render_pdf("verification/pdf/public_notice.html", public_notice_context(notice))


def data_match_context(case: Case) -> dict:
    return {
        "case": case,
        "household": case.household,
        "results": list(case.data_matches.select_related("member")),
        "mismatches": case_mismatches(case),
        "source": COUNTY_CHECK,
    }


def render_data_match(case: Case) -> bytes:
    """The case's data-match results and the mismatches with the declaration."""
    return render_pdf("verification/pdf/data_match.html", data_match_context(case))


def _scan(path: str) -> str:
    return str(Path(settings.MEDIA_ROOT) / path)


def household_documents(household) -> list[dict]:
    """Every document this app generated or stored for `household`, in date order.

    Keys: kind, id (stable within the household), title, doc_number, responsible (责任者), date,
    and either render (a callable returning PDF bytes) or file_path (an absolute path of a stored
    scan) with pages and url (the page serving it); `signature` when present changes whenever the
    rendered content does.
    """
    docs = []
    cases = (
        Case.objects.filter(household=household)
        .select_related("campaign", "household__village")
        .prefetch_related("home_visits", "data_matches")
    )
    for case in cases:
        matches = list(case.data_matches.all())
        if matches:
            docs.append(
                {
                    "kind": "data_match",
                    "id": f"case{case.pk}",
                    "signature": max(m.entered_at for m in matches).isoformat(),
                    "title": "家庭经济状况信息比对结果",
                    "doc_number": "",
                    "responsible": COUNTY_CHECK,
                    "date": max(m.matched_on for m in matches),
                    "render": lambda case=case: render_data_match(case),
                }
            )
        for visit in case.home_visits.all():
            docs.append(
                {
                    "kind": "home_visit",
                    "id": f"visit{visit.pk}",
                    "title": "入户调查表（签字扫描件）",
                    "doc_number": "",
                    "responsible": visit.investigators_text,
                    "date": visit.visited_on,
                    "file_path": _scan(visit.scan_path),
                    "pages": visit.scan_pages,
                    "url": reverse("verification:visit_scan", args=[visit.pk]),
                }
            )
        docs += _refusal_documents(case)
        docs += _decision_documents(case)
    docs.sort(key=lambda d: (d["date"] or date.min, d["kind"]))
    return docs


def _refusal_documents(case: Case) -> list[dict]:
    refusal = getattr(case, "refusal", None)
    if refusal is None or not refusal.notice_number:
        return []
    docs = [
        {
            "kind": "refusal_notice",
            "id": f"refusal{refusal.pk}",
            "signature": refusal.notice_number,
            "title": "拒不配合经济核查书面告知书",
            "doc_number": refusal.notice_number,
            "responsible": OFFICE_NAME,
            "date": refusal.refused_on,
            "render": lambda refusal=refusal: render_refusal_notice(refusal),
        }
    ]
    if refusal.receipt_scan_path:
        docs.append(
            {
                "kind": "receipt",
                "id": f"receipt{refusal.pk}",
                "title": "书面告知书回执（扫描件）",
                "doc_number": refusal.notice_number,
                "responsible": case.household.head_name,
                "date": refusal.receipt_received_on,
                "file_path": _scan(refusal.receipt_scan_path),
                "pages": refusal.receipt_scan_pages,
                "url": reverse("verification:receipt_scan", args=[case.pk]),
            }
        )
    return docs


def _decision_documents(case: Case) -> list[dict]:
    docs = []
    decided = case.decisions.exclude(decision="").select_related("meeting", "case__household")
    for item in decided:
        docs.append(
            {
                "kind": "review_record",
                "id": f"decision{item.pk}",
                "signature": item.decided_at.isoformat() if item.decided_at else "",
                "title": "集体研究审核记录（摘录）",
                "doc_number": item.meeting.number,
                "responsible": GOVERNMENT_NAME,
                "date": item.meeting.held_on,
                "render": lambda item=item: render_decision_extract(item),
            }
        )
        if item.is_negative:
            docs.append(
                {
                    "kind": "ineligibility_notice",
                    "id": f"ineligible{item.pk}",
                    "signature": item.decided_at.isoformat() if item.decided_at else "",
                    "title": "不符合条件告知书",
                    "doc_number": item.notice_number,
                    "responsible": GOVERNMENT_NAME,
                    "date": timezone.localdate(item.decided_at)
                    if item.decided_at
                    else item.meeting.held_on,
                    "render": lambda item=item: render_decision_notice(item),
                }
            )
    for entry in case.notice_entries.select_related("notice__village"):
        notice = entry.notice
        docs.append(
            {
                "kind": "public_notice",
                "id": f"notice{notice.pk}",
                "signature": f"{notice.number}:{entry.withdrawn}",
                "title": f"{notice.village.name}张榜公示",
                "doc_number": notice.number,
                "responsible": GOVERNMENT_NAME,
                "date": notice.start_date,
                "render": lambda notice=notice: render_public_notice(notice),
            }
        )
    return docs
