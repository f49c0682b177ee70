"""Archive pages: happy paths, permissions, downloads, the household detail section."""

from datetime import date

import pytest
from django.urls import reverse

from archives.files import media_path, sha256_file
from archives.models import Dossier, DossierDocument
from archives.services import ensure_dossier
from tests.factories import VillageFactory
from xixin_dibao.models import AuditEvent

from .factories import household_with_members, image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(village_a):
    return household_with_members(village_a, names=["王堃", "王玥"])


def upload_data(**overrides):
    data = {
        "kind": "id_copy",
        "group": "",
        "title": "身份证复印件",
        "doc_number": "",
        "responsible": "王堃",
        "date": "2022-10-30",
        "note": "",
        "file": upload("scan.png", image_bytes()),
    }
    data.update(overrides)
    return data


def test_index_lists_rosters_and_batches_for_the_users_scope(
    client_for, officer_a, office_user, village_a, village_b, django_assert_max_num_queries
):
    for i in range(5):
        VillageFactory(name=f"新村{i}", township=village_a.township)
    client = client_for(office_user)
    with django_assert_max_num_queries(10):
        office_page = client.get(reverse("archives:index"))
    assert office_page.status_code == 200
    html = office_page.content.decode()
    assert "全乡" in html and "万寿村" in html and "生成全乡档案包" in html
    officer_html = client_for(officer_a).get(reverse("archives:index")).content.decode()
    assert (
        "保合村" in officer_html
        and "万寿村" not in officer_html
        and "生成全乡档案包" not in officer_html
    )


def test_household_page_shows_contents_and_build_makes_a_version(client_for, officer_a, household):
    client = client_for(officer_a)
    url = reverse("archives:household", args=[household.pk])
    page = client.get(url).content.decode()
    assert "卷内目录" in page and "家庭基本情况及申请登记表" in page and "尚未生成档案PDF" in page

    response = client.post(reverse("archives:build", args=[household.pk]))
    assert response.status_code == 302
    dossier = Dossier.objects.get(household=household)
    assert dossier.version == 1 and sha256_file(media_path(dossier.file)) == dossier.checksum
    page = client.get(url).content.decode()
    assert dossier.checksum in page and "已是最新" in page
    assert AuditEvent.objects.filter(model="archives.Dossier", kind="create").count() == 1

    client.post(reverse("archives:build", args=[household.pk]))  # nothing changed
    assert Dossier.objects.filter(household=household).count() == 1


def test_changed_content_gives_a_new_version_and_keeps_the_old(officer_a, household):
    first, built = ensure_dossier(household=household, actor=officer_a)
    assert built
    household.address = "洗新乡保合村3组"
    household.save()
    second, built = ensure_dossier(household=household, actor=officer_a)
    assert built and second.version == 2 and second.checksum != first.checksum
    assert media_path(first.file).is_file() and media_path(second.file).is_file()
    third, built = ensure_dossier(household=household, actor=officer_a)
    assert not built and third.pk == second.pk
    media_path(second.file).write_bytes(b"tampered")  # a damaged file is rebuilt, not served
    fourth, built = ensure_dossier(household=household, actor=officer_a)
    assert built and fourth.version == 3


def test_other_village_and_read_only_users(client_for, officer_b, leader, household):
    assert (
        client_for(officer_b).get(reverse("archives:household", args=[household.pk])).status_code
        == 404
    )
    assert (
        client_for(officer_b).get(reverse("archives:download", args=[household.pk])).status_code
        == 404
    )
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.DENIED).exists()
    leader_client = client_for(leader)
    assert leader_client.get(reverse("archives:household", args=[household.pk])).status_code == 403
    assert leader_client.post(reverse("archives:build", args=[household.pk])).status_code == 403
    assert (
        leader_client.post(
            reverse("archives:upload", args=[household.pk]), upload_data()
        ).status_code
        == 403
    )
    assert (
        not Dossier.objects.exists()
        and not DossierDocument.objects.filter(source="uploaded").exists()
    )


def test_upload_files_a_scan_and_rebuilds(
    client_for, officer_a, household, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(officer_a).post(
            reverse("archives:upload", args=[household.pk]),
            upload_data(file=upload("../../x.pdf", pdf_bytes(pages=2))),
        )
    assert response.status_code == 302
    document = DossierDocument.objects.get(source="uploaded")
    assert document.page_count == 2 and document.date == date(2022, 10, 30)
    assert (
        ".." not in document.file
        and document.file.endswith(".pdf")
        and "x.pdf" not in document.file
    )
    dossier = Dossier.objects.get(household=household)  # rebuilt after the upload
    assert any(row["title"] == "身份证复印件" and row["page_count"] == 2 for row in dossier.toc)

    scan = client_for(officer_a).get(
        reverse("archives:scan_download", args=[household.pk, document.pk])
    )
    assert scan.status_code == 200 and scan["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in scan["Content-Disposition"]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (upload("fake.pdf", b"MZ\x90\x00 not a pdf"), "只接受 PDF、JPG 或 PNG"),
        (upload("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20), "图片文件已损坏"),
        (upload("broken.pdf", b"%PDF-1.7 garbage"), "PDF 文件已损坏"),
    ],
)
def test_bad_upload_names_the_field_and_keeps_what_was_typed(
    client_for, officer_a, household, file, message
):
    response = client_for(officer_a).post(
        reverse("archives:upload", args=[household.pk]), upload_data(file=file, title="我填的题名")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'value="我填的题名"' in html
    assert not DossierDocument.objects.filter(source="uploaded").exists()


def test_upload_size_limit(client_for, officer_a, household, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = client_for(officer_a).post(
        reverse("archives:upload", args=[household.pk]),
        upload_data(file=upload("big.pdf", pdf_bytes(pages=20))),
    )
    assert response.status_code == 400 and "过大" in response.content.decode()


def test_download_sends_the_checked_file_and_records_it(client_for, officer_a, household):
    dossier, _ = ensure_dossier(household=household, actor=officer_a)
    response = client_for(officer_a).get(reverse("archives:download", args=[household.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(
        kind=AuditEvent.Kind.EXPORT, household_id=household.pk
    ).exists()
    old = client_for(officer_a).get(reverse("archives:version_download", args=[household.pk, 1]))
    assert old.status_code == 200
    assert (
        client_for(officer_a)
        .get(reverse("archives:version_download", args=[household.pk, 9]))
        .status_code
        == 404
    )

    media_path(dossier.file).write_bytes(b"%PDF-tampered")
    response = client_for(officer_a).get(reverse("archives:download", args=[household.pk]))
    assert response.status_code == 302  # not served: the checksum no longer matches


def test_household_detail_page_shows_the_dossier_section(client_for, officer_a, household):
    url = reverse("households:detail", args=[household.pk])
    assert "尚未生成档案PDF" in client_for(officer_a).get(url).content.decode()
    dossier, _ = ensure_dossier(household=household, actor=officer_a)
    html = client_for(officer_a).get(url).content.decode()
    assert f"第{dossier.version}版" in html and dossier.checksum[:12] in html
    assert reverse("archives:household", args=[household.pk]) in html
