"""What goes into a household's dossier, and in which order (一户一档).

Order (洗府发〔2022〕156号 四(四); rules.md §6): the original approval set first, in the filing
order of the approval papers; later material (changes, reviews, exits) after it, by date.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.apps import apps
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from households.models import Household, Income

from .files import media_path
from .models import KIND_ORDER, LATER_KINDS, DocumentKind, DossierDocument, Group
from .pdf import capture_renders, render_block, scope_css

logger = logging.getLogger(__name__)

# Kind names other apps may use, mapped to ours.
KIND_ALIASES = {
    "decision": DocumentKind.REVIEW,
    "review": DocumentKind.REVIEW,
    "review_decision": DocumentKind.REVIEW,
    "refusal_notice": DocumentKind.NOTICE,
    "ineligibility_notice": DocumentKind.NOTICE,
    "review_record": DocumentKind.REVIEW,
    "approval": DocumentKind.APPROVAL_FORM,
    "exit_notice": DocumentKind.EXIT,
    "auto_exit": DocumentKind.EXIT,
}

APPLICATION_TITLE = "家庭基本情况及申请登记表"
INCOME_TITLE = "家庭收入核算说明"
INCOME_KIND_LABELS = dict(Income.Kind.choices)
INCOME_SOURCE_LABELS = dict(Income.Source.choices)
MONEY_KEYS = {"wage_gross", "employment_cost_deduction", "total_annual_income"}


@dataclass
class Doc:
    """One document as it will appear in the compiled dossier."""

    key: str
    kind: str
    title: str
    group: str
    source: str = DossierDocument.Source.GENERATED
    doc_number: str = ""
    responsible: str = ""
    date: date | None = None
    order: int = 0
    tiebreak: int = 0
    note: str = ""
    html: str = ""  # a fragment laid out inline (shares fonts with the whole dossier)
    css: str = ""  # that fragment's own styles, scoped to `scope`
    scope: str = ""
    render: Callable[[], bytes] | None = None  # a finished PDF from another app
    file_path: Path | None = None  # a scan: PDF, JPEG or PNG
    page_count: int | None = None
    document_id: int | None = None  # the DossierDocument row of an uploaded scan
    url: str = ""  # the page serving a scan (uploaded here or filed by verification)
    fingerprint: str = ""
    pdf: bytes | None = field(default=None, repr=False)  # filled while compiling

    @property
    def is_inline(self) -> bool:
        return self.render is None and self.file_path is None

    @property
    def is_scan(self) -> bool:
        return self.file_path is not None

    @property
    def page_numbers(self) -> range:
        return range(1, (self.page_count or 1) + 1)

    @property
    def kind_label(self) -> str:
        try:
            return DocumentKind(self.kind).label
        except ValueError:
            return self.kind


def sort_documents(docs: list[Doc]) -> list[Doc]:
    """Approval set first (filing order, then date); later material after it by date."""
    approval = [d for d in docs if d.group == Group.APPROVAL]
    later = [d for d in docs if d.group != Group.APPROVAL]
    approval.sort(key=lambda d: (d.order, d.date or date.min, d.tiebreak))
    later.sort(key=lambda d: (d.date or date.max, d.order, d.tiebreak))
    return approval + later


def generated_group(household: Household) -> str:
    """Campaign papers of a household already on the roll are later material, not its approval."""
    if household.referral_source == Household.ReferralSource.EXISTING:
        return Group.LATER
    return Group.APPROVAL


def units(household: Household) -> dict:
    township = household.village.township.name
    return {
        "office": f"{township}民政与社会事务办",
        "government": f"{township}人民政府",
        "village": f"{household.village.name}村民委员会",
    }


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, date) else None


def _money(value) -> Decimal | None:
    """Money from a JSON result (stored as text) as Decimal; None when absent or unreadable."""
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def fingerprint(*parts) -> str:
    raw = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def _application_doc(household: Household, context: dict) -> Doc:
    applied = [a.applied_on for a in context["applications"]]
    day = max(applied) if applied else timezone.localtime(household.created_at).date()
    html = render_to_string("pdf/dossier/application.html", {**context, "title": APPLICATION_TITLE})
    return Doc(
        key="generated:application",
        scope="own",
        kind=DocumentKind.APPLICATION,
        title=APPLICATION_TITLE,
        group=generated_group(household),
        responsible=f"{household.head_name}（申请人）",
        date=day,
        html=html,
        fingerprint=fingerprint(html),
        note="系统生成",
    )


def _screening_result(household: Household):
    """The household's latest screening result, if the screening app provides one."""
    try:
        model = apps.get_model("screening", "ScreeningResult")
    except LookupError:
        return None
    return (
        model.objects.filter(household=household)
        .select_related("run")
        .order_by("-is_current", "-created_at", "-pk")
        .first()
    )


def _explanation(result) -> dict:
    """The verdict's explanation: stored, or worked out by the screening rules."""
    from screening.explain import explained  # the screening app provides verdicts

    return explained(result).data if result is not None else {}


def _income_doc(household: Household, context: dict) -> Doc:
    result = _screening_result(household)
    data = _explanation(result)
    computation = data.get("computation") or {}
    member_lines = computation.get("members") or []
    names = {m.get("key"): m.get("name", "") for m in member_lines}
    income_lines = [
        {
            **line,
            "amount": _money(line.get("amount")),
            "annual_amount": _money(line.get("annual_amount")),
            "kind_label": INCOME_KIND_LABELS.get(line.get("kind"), line.get("kind")),
            "source": INCOME_SOURCE_LABELS.get(line.get("source"), line.get("source")),
            "member_name": names.get(line.get("member_key"), "全家"),
        }
        for line in computation.get("incomes") or []
    ]
    computation = {k: _money(v) if k in MONEY_KEYS else v for k, v in computation.items()}
    context = {
        **context,
        "result": result,
        "outcome_label": result.get_outcome_display() if result else "",
        "per_capita_income": result.per_capita_income if result else None,
        "computation": computation,
        "income_lines": income_lines,
        "member_lines": member_lines,
        "reasons": data.get("reasons") or [],
        "flags": data.get("flags") or [],
    }
    html = render_to_string("pdf/dossier/income.html", {**context, "title": INCOME_TITLE})
    return Doc(
        key="generated:income",
        scope="own",
        kind=DocumentKind.INCOME_COMPUTATION,
        title=INCOME_TITLE,
        group=generated_group(household),
        responsible=units(household)["office"],
        date=result.as_of if result else None,
        html=html,
        fingerprint=fingerprint(html),
        note="系统生成" if result else "系统生成（尚未研判）",
    )


def _other_app_docs(household: Household) -> list[Doc]:
    """Documents the verification app files for the household (data match, visits, 公示…).

    Each item: kind, title, doc_number, responsible, date and one of `html` (a body fragment,
    str or callable; preferred: it shares the dossier's fonts), `render` (callable -> PDF bytes)
    or `file_path` (a scan, with `url` the page serving it). Optional: `group`, `note`,
    `signature` (changes with the content), `id`.
    """
    try:
        from verification import services
    except ImportError:
        return []
    if not hasattr(services, "household_documents"):
        return []
    docs = []
    for i, item in enumerate(services.household_documents(household)):
        kind = KIND_ALIASES.get(item["kind"], item["kind"])
        if kind not in DocumentKind.values:
            kind = DocumentKind.OTHER
        group = item.get("group") or (
            Group.LATER if kind in LATER_KINDS else generated_group(household)
        )
        path = Path(item["file_path"]) if item.get("file_path") else None
        if path is not None and not path.is_absolute():
            path = media_path(str(path))
        html = item.get("html") or ""  # a body fragment is laid out inline: fonts shared, smaller
        html = html() if callable(html) else html
        scope, css = f"x{fingerprint(item['kind'], i)[:10]}", ""
        if not html and not path and item.get("render"):
            html, css = _inline_render(item["render"], scope) or ("", "")
        meta = [item["kind"], item["title"], item.get("doc_number"), item.get("responsible")]
        docs.append(
            Doc(
                key=f"verification:{item['kind']}:{item.get('id', i)}",
                kind=kind,
                title=item["title"],
                group=group,
                doc_number=item.get("doc_number") or "",
                responsible=item.get("responsible") or "",
                date=_as_date(item.get("date")),
                # A signed form or receipt filed by verification is a scan like an upload.
                note=item.get("note") or ("扫描件" if path else ""),
                url=item.get("url", "") if path else "",
                html=html,
                css=css,
                scope=scope,
                render=None if path or html else item.get("render"),
                file_path=path,
                tiebreak=i,
                fingerprint=fingerprint(
                    meta, item.get("date"), item.get("signature"), str(path), html, css
                ),
            )
        )
    return docs


def _inline_render(render, scope: str) -> tuple[str, str] | None:
    """The body and scoped styles of a document another app renders with archives.pdf.render_pdf.

    Laid out inside the dossier it shares one font subset with everything else, which keeps a
    text-only dossier far below 1 MB (each separately rendered PDF carries ~250 KB of fonts).
    None when the callable does anything else; its PDF is then merged as it is.
    """
    try:
        with capture_renders() as calls:
            result = render()
    except Exception:
        logger.warning("document could not be laid out inline; using its own PDF", exc_info=True)
        return None
    if result != b"" or len(calls) != 1:
        return None
    template_name, context = calls[0]
    body = render_block(template_name, "body", context)
    css = scope_css(render_block(template_name, "style", context), f".{scope}")
    return body, css


def _uploaded_docs(household: Household) -> list[Doc]:
    docs = []
    for row in DossierDocument.objects.filter(
        household=household, source=DossierDocument.Source.UPLOADED
    ):
        docs.append(
            Doc(
                key=row.key,
                kind=row.kind,
                title=row.title,
                group=row.group,
                source=row.source,
                doc_number=row.doc_number,
                responsible=row.responsible,
                date=row.date,
                order=row.order,
                tiebreak=row.pk,
                note=row.note or "扫描件",
                file_path=media_path(row.file),
                page_count=row.page_count,
                document_id=row.pk,
                url=reverse("archives:scan_download", args=[household.pk, row.pk]),
                fingerprint=fingerprint(row.sha256, row.page_count),
            )
        )
    return docs


def registry_context(household: Household) -> dict:
    """The registry data the generated documents show (ID numbers masked in the template)."""
    members = list(household.members.prefetch_related("assistance"))
    return {
        "household": household,
        "units": units(household),
        "members": members,
        "incomes": list(household.incomes.select_related("member")),
        "assets": list(household.assets.select_related("member")),
        "expenses": list(household.expenses.all()),
        "group_records": list(household.group_records.all()),
        "applications": list(household.applications.all()),
        "current_assistance": [a for m in members for a in m.assistance.all() if a.is_current],
    }


def collect_documents(household: Household) -> tuple[dict, list[Doc]]:
    """The registry context and every document of the household's dossier, in filing order."""
    context = registry_context(household)
    docs = [_application_doc(household, context), _income_doc(household, context)]
    docs += _other_app_docs(household)
    docs += _uploaded_docs(household)
    for doc in docs:
        if not doc.order:
            doc.order = KIND_ORDER.get(doc.kind, KIND_ORDER[DocumentKind.OTHER])
    return context, sort_documents(docs)
