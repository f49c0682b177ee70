"""Issue 20.12: a home visit accepts several scans (the pages of one signed form)."""

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from tests.verification.factories import make_case, pdf_bytes
from verification import scans
from verification.models import HomeVisit

pytestmark = pytest.mark.django_db


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (60, 80), "white").save(out, format="PNG")
    return out.getvalue()


def post_visit(client, case, files):
    return client.post(
        reverse("verification:home_visit_create", args=[case.pk]),
        {
            "version": case.version,
            "visited_on": "2022-11-09",
            "investigators": "王静、涂磊",
            "members_finding": "两口人",
            "employment_income_finding": "务农",
            "property_finding": "自建房",
            "spending_finding": "节俭",
            "scan": files,
        },
        follow=True,
    )


def test_several_scans_are_joined_into_one_pdf_in_order(
    client_for, campaign, village_a, officer_a, today
):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    files = [
        SimpleUploadedFile("第1页.pdf", pdf_bytes(2), "application/pdf"),
        SimpleUploadedFile("第3页.png", png_bytes(), "image/png"),
    ]
    response = post_visit(client_for(officer_a), case, files)
    assert "已保存入户调查记录" in response.content.decode()
    visit = HomeVisit.objects.get(case=case)
    assert visit.scan_pages == 3 and visit.scan_path.endswith(".pdf")
    assert len(PdfReader(scans.scan_file(visit.scan_path)).pages) == 3


def test_a_bad_file_among_several_is_named(client_for, campaign, village_a, officer_a, today):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    files = [
        SimpleUploadedFile("第1页.pdf", pdf_bytes(1), "application/pdf"),
        SimpleUploadedFile("说明.docx", b"PK\x03\x04not a scan", "application/octet-stream"),
    ]
    response = post_visit(client_for(officer_a), case, files)
    assert "“说明.docx”不是 PDF、JPG 或 PNG 文件" in response.content.decode()
    assert not HomeVisit.objects.filter(case=case).exists()


def test_the_form_offers_several_files(client_for, campaign, village_a, officer_a):
    case = make_case(village_a, campaign)
    body = (
        client_for(officer_a)
        .get(reverse("verification:home_visit_create", args=[case.pk]))
        .content.decode()
    )
    assert 'type="file" name="scan"' in body and "multiple" in body


def test_a_full_disk_while_storing_a_scan_says_so_and_leaves_no_file(
    client_for, campaign, village_a, officer_a, today, settings, full_disk
):
    today(date(2022, 11, 10))
    case = make_case(village_a, campaign)
    data = pdf_bytes(40)
    assert len(data) > 4096  # more than the nearly full disk takes
    files = [SimpleUploadedFile("第1页.pdf", data, "application/pdf")]
    response = post_visit(client_for(officer_a), case, files)
    assert "磁盘空间不足，文件未保存" in response.content.decode()
    assert not HomeVisit.objects.filter(case=case).exists()
    scans_dir = settings.MEDIA_ROOT / "scans"
    assert not scans_dir.exists() or not [p for p in scans_dir.rglob("*") if p.is_file()]
