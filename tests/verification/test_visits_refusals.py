"""Home visits with scans, and the refusal procedure: notice, delivery, receipt, exit, exception."""

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from tests.verification.factories import PNG_BYTES, make_case, pdf_bytes
from verification import scans
from verification.models import HomeVisit, Refusal
from verification.services import (
    CaseError,
    confirm_auto_exit,
    notice_number,
    record_delivery,
    record_exception,
    record_home_visit,
    record_receipt,
    record_refusal,
    render_refusal_notice,
    transition,
)
from verification.states import State

pytestmark = pytest.mark.django_db


def upload(data=None, name="扫描件.pdf"):
    return SimpleUploadedFile(name, data if data is not None else pdf_bytes(2), "application/pdf")


def visit_kwargs(**overrides):
    values = {
        "visited_on": date(2022, 11, 9),
        "investigators": ["王静", "涂磊"],
        "members_finding": "户主与配偶共同生活",
        "employment_income_finding": "务农，年收入约6000元",
        "property_finding": "自建砖房一处",
        "spending_finding": "日常开支节俭",
        "scan": upload(),
    }
    values.update(overrides)
    return values


# ---- scans ------------------------------------------------------------------------------------


def test_store_scan_uses_generated_name_and_counts_pages(media_root):
    stored = scans.store_scan(upload(name="../../etc/passwd 张三.pdf"))
    assert stored.pages == 2 and stored.content_type == "application/pdf"
    path = Path(media_root) / stored.path
    assert path.is_file() and path.suffix == ".pdf"
    assert "张三" not in stored.path and ".." not in stored.path
    assert path.resolve().is_relative_to(Path(media_root).resolve())


def test_store_scan_accepts_png_by_content_not_name():
    stored = scans.store_scan(SimpleUploadedFile("photo.pdf", PNG_BYTES, "application/pdf"))
    assert stored.path.endswith(".png") and stored.pages == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"MZ\x90\x00 windows exe", "只接受 PDF、JPG 或 PNG"),
        (b"", "空文件"),
        (b"%PDF-1.4 not really a pdf", "PDF 文件已损坏"),
    ],
)
def test_store_scan_rejects_bad_files(data, message, media_root):
    with pytest.raises(scans.ScanError, match=message):
        scans.store_scan(upload(data, name="scan.pdf"))
    assert not any(Path(media_root).rglob("*.pdf")) if Path(media_root).exists() else True


def test_store_scan_rejects_oversize():
    with pytest.raises(scans.ScanError, match="过大"):
        scans.store_scan(upload(pdf_bytes(1) + b"0" * 2000), max_bytes=1000)


def test_scan_response_has_rfc5987_filename():
    stored = scans.store_scan(upload())
    response = scans.scan_response(stored.path, "入户调查表-张三")
    assert response["Content-Disposition"].startswith("inline; filename*=utf-8''")
    assert "%E5%85%A5%E6%88%B7" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"


# ---- home visits ------------------------------------------------------------------------------


def test_home_visit_is_recorded_with_scan(campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    visit = record_home_visit(case=case, actor=officer_a, **visit_kwargs())
    assert visit.investigators == ["王静", "涂磊"] and visit.scan_pages == 2
    assert scans.scan_file(visit.scan_path).is_file()


def test_home_visit_needs_two_investigators(campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    with pytest.raises(CaseError, match="至少两名") as exc:
        record_home_visit(case=case, actor=officer_a, **visit_kwargs(investigators=["王静"]))
    assert exc.value.field == "investigators"
    assert not HomeVisit.objects.exists()


def test_home_visit_needs_the_scan_and_every_finding(campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    with pytest.raises(CaseError, match="扫描件"):
        record_home_visit(case=case, actor=officer_a, **visit_kwargs(scan=None))
    with pytest.raises(CaseError, match="日常开支情况"):
        record_home_visit(case=case, actor=officer_a, **visit_kwargs(spending_finding=" "))


def test_home_visit_after_cutoff_is_refused(campaign, village_a, officer_a, today):
    today(date(2022, 11, 22))
    case = make_case(village_a, campaign)
    with pytest.raises(CaseError, match="不再受理"):
        record_home_visit(case=case, actor=officer_a, **visit_kwargs())
    assert not HomeVisit.objects.exists()


def test_leadership_cannot_record_a_visit(campaign, village_a, leader, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    with pytest.raises(PermissionDenied):
        record_home_visit(case=case, actor=leader, **visit_kwargs())


# ---- refusal procedure --------------------------------------------------------------------------


def refuse_and_deliver(case, officer):
    record_refusal(
        case=case, actor=officer, refused_on=date(2022, 11, 10), details="拒绝签署核查授权书"
    )
    notice_number(case.refusal)
    record_delivery(
        case=case,
        actor=officer,
        delivered_on=date(2022, 11, 11),
        delivered_by="保合村专干",
        method="in_person",
    )


def test_full_refusal_procedure_ends_in_exit_only_after_receipt(
    campaign, village_a, officer_a, office_user, today
):
    today(date(2022, 11, 15))
    case = make_case(village_a, campaign)
    record_refusal(
        case=case, actor=officer_a, refused_on=date(2022, 11, 10), details="拒绝签署核查授权书"
    )
    assert case.state == State.REFUSED
    with pytest.raises(CaseError, match="先生成并打印"):
        record_delivery(
            case=case,
            actor=officer_a,
            delivered_on=date(2022, 11, 11),
            delivered_by="专干",
            method="in_person",
        )
    number = notice_number(case.refusal)
    assert number == f"洗民核告〔2022〕{case.refusal.pk}号"
    record_delivery(
        case=case,
        actor=officer_a,
        delivered_on=date(2022, 11, 11),
        delivered_by="保合村专干",
        method="in_person",
    )
    assert case.state == State.NOTICE_DELIVERED
    # No exit before the receipt is back: the table has no edge, and the officer may not exit.
    with pytest.raises(CaseError, match="不能从“已送达告知书”直接变更为“视为自动退出”"):
        transition(case=case, to_state=State.AUTO_EXIT, actor=office_user, reason="退出")
    with pytest.raises(PermissionDenied):
        record_receipt(case=case, actor=officer_a, scan=upload(), received_on=date(2022, 11, 14))
    record_receipt(
        case=case,
        actor=office_user,
        scan=upload(),
        received_on=date(2022, 11, 14),
        signed_on=date(2022, 11, 12),
    )
    assert case.state == State.RECEIPT_RETURNED
    refusal = Refusal.objects.get(case=case)
    assert refusal.receipt_received_on == date(2022, 11, 14) and refusal.receipt_scan_pages == 2
    with pytest.raises(PermissionDenied):
        confirm_auto_exit(case=case, actor=officer_a, reason="期满仍拒不配合核查", confirmed=True)
    # The notice gave the family until the verification cutoff (2022-11-21).
    assert refusal.reply_by == date(2022, 11, 21)
    today(date(2022, 11, 22))
    confirm_auto_exit(
        case=case, actor=office_user, reason="回执已交回，期满仍拒不配合", confirmed=True
    )
    case.refresh_from_db()
    assert case.state == State.AUTO_EXIT
    assert list(case.transitions.values_list("to_state", flat=True)) == [
        "refused",
        "notice_delivered",
        "receipt_returned",
        "auto_exit",
    ]


def test_receipt_dates_must_follow_delivery(campaign, village_a, officer_a, office_user, today):
    today(date(2022, 11, 15))
    case = make_case(village_a, campaign)
    refuse_and_deliver(case, officer_a)
    with pytest.raises(CaseError, match="不能早于告知书送达日期"):
        record_receipt(case=case, actor=office_user, scan=upload(), received_on=date(2022, 11, 10))
    with pytest.raises(CaseError, match="不能晚于今天"):
        record_receipt(case=case, actor=office_user, scan=upload(), received_on=date(2022, 11, 30))


def test_special_circumstances_resume_verification(
    campaign, village_a, officer_a, office_user, today
):
    today(date(2022, 11, 15))
    case = make_case(village_a, campaign)
    refuse_and_deliver(case, officer_a)
    with pytest.raises(PermissionDenied):
        record_exception(case=case, actor=officer_a, reason="住院治疗，家属已同意配合核查")
    with pytest.raises(CaseError, match="至少10个字"):
        record_exception(case=case, actor=office_user, reason="生病")
    record_exception(case=case, actor=office_user, reason="核查期间住院治疗，家属已同意配合核查")
    assert case.state == State.PENDING_VERIFICATION
    assert case.transitions.last().reason.startswith("特殊情况：核查期间住院治疗")
    assert Refusal.objects.get(case=case).exception_by == office_user


def test_refusal_notice_pdf_names_household_and_has_receipt(campaign, village_a, officer_a, today):
    today(date(2022, 11, 15))
    case = make_case(village_a, campaign)
    record_refusal(
        case=case, actor=officer_a, refused_on=date(2022, 11, 10), details="拒绝签署核查授权书"
    )
    notice_number(case.refusal)
    import io

    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_refusal_notice(case.refusal))).pages
    )
    assert "拒不配合家庭经济状况核查告知书" in text
    assert case.household.head_name in text and "回" in text and "执" in text
    assert case.refusal.notice_number in text
