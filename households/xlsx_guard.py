"""Check an uploaded .xlsx before any parser touches it (S-18, S-19, S-22; ASVS 12.1).

Only the zip central directory is read: sizes and ratios are the ones the archive declares, which
is enough because Python's zipfile never inflates an entry past its declared size (it stops and
fails the CRC check). XML bombs inside the parts are stopped by defusedxml, which openpyxl uses
when it is installed (`openpyxl.DEFUSEDXML`).
"""

import stat
import zipfile

from django.conf import settings

MAX_ENTRIES = 1000
MAX_TOTAL_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
# Small parts compress at silly ratios (a run of identical styles); only big ones can hurt.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
PNG_MAGIC = b"\x89PNG"
MACRO_MARKERS = (b"macroEnabled", b"vbaProject")


class UnsafeUpload(ValueError):
    """The file is not a plain .xlsx we are willing to open; the message says why, in Chinese."""


def _size_of(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    pos = fileobj.tell()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(pos)
    return size


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def _not_xlsx_message(head: bytes) -> str:
    if head.startswith(OLE_MAGIC):
        return (
            "这是旧版 Excel（.xls）文件或设置了打开密码的 Excel 文件。"
            "请在 Excel/WPS 中取消密码并“另存为” .xlsx 格式后再上传。"
        )
    if head.startswith(PNG_MAGIC) or head[:3] == b"\xff\xd8\xff" or head[:4] == b"GIF8":
        return "这是图片文件，不是 Excel 表格。请上传 .xlsx 格式的 Excel 文件。"
    if head.startswith(b"%PDF"):
        return "这是 PDF 文件，不是 Excel 表格。请上传 .xlsx 格式的 Excel 文件。"
    sample = head[:512]
    if sample and not any(b < 0x09 or 0x0D < b < 0x20 or b == 0x7F for b in sample):
        return (
            "这是文本或 CSV 文件，不是 Excel 表格。请用 Excel/WPS 打开后“另存为” .xlsx 格式再上传。"
        )
    return "文件不是有效的 Excel（.xlsx）文件，请用 Excel/WPS 另存为 .xlsx 后再上传。"


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_ENTRIES:
        raise UnsafeUpload(f"文件内部包含 {len(infos)} 个部件，超过上限 {MAX_ENTRIES}，已拒绝。")
    total = 0
    total_compressed = 0
    for info in infos:
        name = info.filename
        if name.startswith("/") or ".." in name.split("/"):
            raise UnsafeUpload("文件内部路径异常，已拒绝。")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeUpload("文件内部包含符号链接，已拒绝。")
        if info.flag_bits & 0x1:
            raise UnsafeUpload("文件已加密，请在 Excel/WPS 中取消密码后再上传。")
        lower = name.lower()
        if lower.endswith("vbaproject.bin"):
            raise UnsafeUpload("文件包含宏（.xlsm），为安全起见不能导入。请另存为普通 .xlsx 文件。")
        if lower.startswith("xl/externallinks/"):
            raise UnsafeUpload("文件包含指向其他工作簿的外部链接，请删除外部链接后再上传。")
        if info.file_size > RATIO_FLOOR_BYTES:
            if info.compress_size == 0 or info.file_size / info.compress_size > MAX_RATIO:
                raise UnsafeUpload(
                    f"文件压缩比异常（超过 {MAX_RATIO} 倍），疑似“压缩炸弹”，已拒绝。"
                )
        total += info.file_size
        total_compressed += info.compress_size
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise UnsafeUpload(
            f"文件解压后约 {_mb(total)}，超过上限 {_mb(MAX_TOTAL_UNCOMPRESSED)}，已拒绝。"
            "请分成几个较小的文件导入。"
        )
    if total > RATIO_FLOOR_BYTES and total / max(total_compressed, 1) > MAX_RATIO:
        raise UnsafeUpload(f"文件压缩比异常（超过 {MAX_RATIO} 倍），疑似“压缩炸弹”，已拒绝。")


def _check_content_types(archive: zipfile.ZipFile, infos: dict) -> None:
    info = infos["[Content_Types].xml"]
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise UnsafeUpload("文件结构异常（[Content_Types].xml 过大），已拒绝。")
    with archive.open(info) as part:
        data = part.read(MAX_CONTENT_TYPES_BYTES + 1)
    if any(marker in data for marker in MACRO_MARKERS):
        raise UnsafeUpload("文件包含宏（.xlsm），为安全起见不能导入。请另存为普通 .xlsx 文件。")


def check_xlsx_upload(fileobj, *, max_bytes: int | None = None) -> None:
    """Raise UnsafeUpload (Chinese message) unless `fileobj` looks like a plain, sane .xlsx.

    Checks size, zip signature, required parts, entry count, declared uncompressed size and
    compression ratio from the central directory, macros and external links. The file position
    is restored to the start.
    """
    limit = max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES
    size = _size_of(fileobj)
    if size == 0:
        raise UnsafeUpload("文件是空的，请选择填写好的 Excel（.xlsx）文件。")
    if size > limit:
        raise UnsafeUpload(f"文件大小 {_mb(size)}，超过上传上限 {_mb(limit)}。请分成几个文件导入。")
    fileobj.seek(0)
    head = fileobj.read(1024)
    fileobj.seek(0)
    if not head.startswith(ZIP_MAGIC):
        raise UnsafeUpload(_not_xlsx_message(head))
    try:
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            by_name = {i.filename: i for i in infos}
            for required in ("[Content_Types].xml", "xl/workbook.xml"):
                if required not in by_name:
                    raise UnsafeUpload(
                        "文件不是有效的 Excel（.xlsx）文件（可能是其他压缩包或 Word 文档），"
                        "请用 Excel/WPS 另存为 .xlsx 后再上传。"
                    )
            _check_entries(infos)
            _check_content_types(archive, by_name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise UnsafeUpload(
            "文件已损坏或不是有效的 Excel（.xlsx）文件，请重新保存后再上传。"
        ) from exc
    finally:
        fileobj.seek(0)
