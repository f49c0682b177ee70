"""The household's dossier page: where each document comes from, and the upload form."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from archives.files import media_path
from archives.services import ensure_dossier
from tests.verification.factories import (
    CaseFactory,
    DecisionFactory,
    HomeVisitFactory,
    pdf_bytes,
    refusal_for,
)

from .factories import household_with_members, image_bytes, upload

pytestmark = pytest.mark.django_db


def toc_rows(html: str) -> dict[str, str]:
    """Title -> the row's last cell (来源) of the page's 卷内目录."""
    table = html.split("<h2>卷内目录", 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if len(cells) == 9:
            title = re.sub(r"<div.*?</div>", "", cells[3], flags=re.S).strip()
            rows[title] = cells[8].strip()
    return rows


def test_verification_scans_are_shown_as_scans(client_for, office_user, village_a, campaign):
    household = household_with_members(village_a)
    case = CaseFactory(household=household, campaign=campaign)
    visit = HomeVisitFactory(case=case)
    refusal_for(
        case,
        notice_number="洗民核告〔2022〕1号",
        receipt_scan_path="scans/test/receipt.pdf",
        receipt_scan_pages=1,
        receipt_received_on=visit.visited_on,
    )
    html = client_for(office_user).get(reverse("archives:household", args=[household.pk]))
    rows = toc_rows(html.content.decode())
    visit_url = reverse("verification:visit_scan", args=[visit.pk])
    receipt_url = reverse("verification:receipt_scan", args=[case.pk])
    assert rows["入户调查表（签字扫描件）"] == f'<a href="{visit_url}">扫描件</a>'
    assert rows["书面告知书回执（扫描件）"] == f'<a href="{receipt_url}">扫描件</a>'
    assert rows["家庭基本情况及申请登记表"] == "系统生成"
    assert rows["拒不配合经济核查书面告知书"] == "系统生成"


def test_uploaded_scans_link_to_their_file(client_for, officer_a, village_a):
    household = household_with_members(village_a)
    client = client_for(officer_a)
    client.post(
        reverse("archives:upload", args=[household.pk]),
        {
            "kind": "id_copy",
            "group": "",
            "title": "身份证复印件",
            "date": "2022-10-30",
            "file": upload("scan.png", image_bytes()),
        },
    )
    document = household.dossier_documents.get(source="uploaded")
    rows = toc_rows(client.get(reverse("archives:household", args=[household.pk])).content.decode())
    url = reverse("archives:scan_download", args=[household.pk, document.pk])
    assert rows["身份证复印件"] == f'<a href="{url}">扫描件</a>'


def test_compiled_index_notes_the_visit_scan(office_user, village_a, campaign, settings):
    household = household_with_members(village_a)
    case = CaseFactory(household=household, campaign=campaign)
    visit = HomeVisitFactory(case=case)
    path = settings.MEDIA_ROOT / visit.scan_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf_bytes(1))
    dossier, _ = ensure_dossier(household=household, actor=office_user)
    row = next(r for r in dossier.toc if r["kind"] == "home_visit")
    assert row["note"] == "扫描件"


def test_compiled_index_keeps_responsible_and_numbers_on_one_line(office_user, village_a, campaign):
    household = household_with_members(village_a, names=["谭秀英", "谭德贵"])
    case = CaseFactory(household=household, campaign=campaign)
    DecisionFactory(case=case, meeting__number="洗民审〔2022〕123号")
    dossier, _ = ensure_dossier(household=household, actor=office_user)
    reader = PdfReader(io.BytesIO(media_path(dossier.file).read_bytes()))
    index = next(p.extract_text() for p in reader.pages if "卷内目录" in p.extract_text())
    rows = index.splitlines()
    assert any(line.startswith("1 谭秀英（申请人） 家庭基本情况及申请登记表") for line in rows)
    assert any(" 洗新乡民政与社会事务办 家庭收入核算说明" in line for line in rows)
    assert any(
        " 洗民审〔2022〕123号 洗新乡人民政府 集体研究审核记录（摘录）" in line for line in rows
    )
