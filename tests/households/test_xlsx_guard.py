"""Upload safety (S-18 … S-23): everything here is rejected before openpyxl parses a sheet."""

import io
import os
import random
import struct
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from households.importing import import_households_file
from households.models import Household
from households.xlsx_guard import UnsafeUpload, check_xlsx_upload
from tests.households.factories import household_rows, replace_parts, xlsx_bytes

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">
<si><t>&lol9;</t></si></sst>"""


SHARED_STRINGS_OVERRIDE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


@pytest.fixture(scope="module")
def good_xlsx() -> bytes:
    return xlsx_bytes({"家庭成员": household_rows(2)})


def measure(fn):
    """Run fn; return (exception, seconds, peak traced MB)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        error = exc
    else:
        error = None
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, elapsed, peak / 1024 / 1024


def minimal_zip(parts: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


XLSX_SKELETON = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}


def test_defusedxml_is_active():
    assert openpyxl.DEFUSEDXML is True


def test_a_real_workbook_passes(good_xlsx):
    fileobj = io.BytesIO(good_xlsx)
    check_xlsx_upload(fileobj)
    assert fileobj.tell() == 0


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "图片"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, ".xls"),
        ("户编号,村,姓名\nH1,保合村,张三\n".encode(), "CSV"),
        (random.Random(7).randbytes(4096), "不是有效的 Excel"),
        (b"%PDF-1.7\n", "PDF"),
        (
            minimal_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<Types/>"}),
            "不是有效的 Excel",
        ),
        (b"PK\x03\x04" + b"\x00" * 100, "已损坏"),
    ],
    ids=["png", "xls", "csv", "random", "pdf", "docx-like zip", "truncated zip"],
)
def test_wrong_file_types_are_rejected_in_chinese(data, words):
    with pytest.raises(UnsafeUpload, match=words):
        check_xlsx_upload(io.BytesIO(data))


def test_empty_file():
    with pytest.raises(UnsafeUpload, match="空的"):
        check_xlsx_upload(io.BytesIO(b""))


def test_size_limit_names_the_limit(good_xlsx, settings):
    with pytest.raises(UnsafeUpload, match="超过上传上限 1 KB"):
        check_xlsx_upload(io.BytesIO(good_xlsx), max_bytes=1024)
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    with pytest.raises(UnsafeUpload, match="上限 2 MB"):
        check_xlsx_upload(io.BytesIO(b"PK\x03\x04" + b"\x00" * (3 * 1024 * 1024)))


def test_zip_bomb_rejected_fast_from_the_central_directory():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in XLSX_SKELETON.items():
            z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            block = b"\x00" * (1024 * 1024)
            for _ in range(300):  # 300 MB of zeros, about 300 KB compressed
                part.write(block)
    bomb = out.getvalue()
    assert len(bomb) < 2 * 1024 * 1024
    error, seconds, peak_mb = measure(lambda: check_xlsx_upload(io.BytesIO(bomb)))
    assert isinstance(error, UnsafeUpload) and "压缩" in str(error)
    assert seconds < 2 and peak_mb < 100


def _patch_central_sizes(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite one entry's declared sizes in the central directory (what a forged bomb does)."""
    pos = data.rindex(b"PK\x01\x02", 0, data.rindex(name) + 1)
    patched = bytearray(data)
    struct.pack_into("<II", patched, pos + 20, size, size)  # compressed, uncompressed
    return bytes(patched)


def test_declared_two_gigabytes_is_rejected(good_xlsx):
    forged = _patch_central_sizes(good_xlsx, b"xl/worksheets/sheet1.xml", 2_000_000_000)
    error, seconds, peak_mb = measure(lambda: check_xlsx_upload(io.BytesIO(forged)))
    assert isinstance(error, UnsafeUpload) and "超过上限 200 MB" in str(error)
    assert seconds < 2 and peak_mb < 100


def test_too_many_entries():
    parts = dict(XLSX_SKELETON)
    parts.update({f"xl/media/x{i}.bin": b"x" for i in range(1001)})
    with pytest.raises(UnsafeUpload, match="超过上限 1000"):
        check_xlsx_upload(io.BytesIO(minimal_zip(parts, zipfile.ZIP_STORED)))


def test_macros_and_external_links_are_rejected(good_xlsx):
    with pytest.raises(UnsafeUpload, match="宏"):
        check_xlsx_upload(
            io.BytesIO(replace_parts(good_xlsx, {}, {"xl/vbaProject.bin": b"\x00" * 10}))
        )
    xlsm_types = (
        zipfile.ZipFile(io.BytesIO(good_xlsx))
        .read("[Content_Types].xml")
        .replace(b"sheet.main+xml", b"sheet.macroEnabled.main+xml")
    )
    with pytest.raises(UnsafeUpload, match="宏"):
        check_xlsx_upload(io.BytesIO(replace_parts(good_xlsx, {"[Content_Types].xml": xlsm_types})))
    with pytest.raises(UnsafeUpload, match="外部链接"):
        check_xlsx_upload(
            io.BytesIO(
                replace_parts(good_xlsx, {}, {"xl/externalLinks/externalLink1.xml": b"<x/>"})
            )
        )


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_xml_bomb_is_rejected_quickly(part, officer_a):
    base = xlsx_bytes({"家庭成员": household_rows(1)})
    types = zipfile.ZipFile(io.BytesIO(base)).read("[Content_Types].xml")
    if part == "xl/sharedStrings.xml":  # openpyxl writes inline strings; declare a string table
        types = types.replace(b"</Types>", SHARED_STRINGS_OVERRIDE + b"</Types>")
        bomb = replace_parts(base, {"[Content_Types].xml": types}, {part: BILLION_LAUGHS})
    else:
        bomb = replace_parts(base, {part: BILLION_LAUGHS})
    check_xlsx_upload(io.BytesIO(bomb))  # the container itself is fine: defusedxml must stop it

    def attempt():
        result = import_households_file(actor=officer_a, fileobj=io.BytesIO(bomb))
        assert not result.ok
        assert "不安全的 XML" in result.errors[0].message

    error, seconds, peak_mb = measure(attempt)
    assert error is None, error
    assert seconds < 2 and peak_mb < 100
    assert Household.objects.count() == 0


@pytest.mark.django_db
def test_row_cap_is_enforced_while_streaming(officer_a, village_a, settings):
    settings.IMPORT_MAX_ROWS = 6
    result = import_households_file(
        actor=officer_a, fileobj=io.BytesIO(xlsx_bytes({"家庭成员": household_rows(3)}))
    )
    assert not result.ok and "超过 6 行的上限" in result.errors[0].message
    ok = import_households_file(
        actor=officer_a, fileobj=io.BytesIO(xlsx_bytes({"家庭成员": household_rows(2)}))
    )
    assert ok.ok


@pytest.mark.django_db
def test_flood_of_empty_rows_and_lying_dimension(officer_a, village_a, settings):
    settings.IMPORT_MAX_ROWS = 10
    base = xlsx_bytes({"家庭成员": household_rows(1)})
    sheet = zipfile.ZipFile(io.BytesIO(base)).read("xl/worksheets/sheet1.xml")
    # A dimension claiming the whole grid must not make the reader pad rows to 16,384 columns.
    lying = sheet.replace(b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>', 1)
    if b"<dimension" in sheet:
        lying = sheet
        start = sheet.index(b"<dimension")
        lying = (
            sheet[:start]
            + b'<dimension ref="A1:XFD1048576"/>'
            + sheet[sheet.index(b"/>", start) + 2 :]
        )
    started = time.perf_counter()
    result = import_households_file(
        actor=officer_a,
        fileobj=io.BytesIO(replace_parts(base, {"xl/worksheets/sheet1.xml": lying})),
    )
    assert result.ok, [str(e) for e in result.errors]
    assert time.perf_counter() - started < 2
    # 5,000 empty rows followed by data: stopped by the cap on rows read, not by the declared size.
    flood = b"".join(b'<row r="%d"/>' % n for n in range(5, 5005))
    flooded = sheet.replace(b"</sheetData>", flood + b"</sheetData>")
    result = import_households_file(
        actor=officer_a,
        fileobj=io.BytesIO(replace_parts(base, {"xl/worksheets/sheet1.xml": flooded})),
    )
    assert not result.ok and "空行" in result.errors[0].message


def test_renamed_file_name_never_reaches_the_filesystem(settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from households.importing.uploads import save_upload, stored_path

    settings.MEDIA_ROOT = tmp_path
    relative = save_upload(SimpleUploadedFile("../../etc/passwd.xlsx", b"data"))
    assert relative.startswith("imports/") and "passwd" not in relative
    assert stored_path(relative).read_bytes() == b"data"
    assert oct(os.stat(stored_path(relative)).st_mode & 0o777) == "0o600"
    with pytest.raises(ValueError):
        stored_path("../../etc/passwd")
