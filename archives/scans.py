"""Uploaded scans for a dossier: checked by content (not by name), stored under generated names.

Only PDF, JPEG and PNG are accepted, recognised by their first bytes; the user's file name never
reaches the file system (S-23). Files live under MEDIA_ROOT/scans/<household id>/, outside the
web root, and are served only through a view that checks the household is visible.
"""

import uuid
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings

from .files import atomic_write, media_path, sha256_bytes

MAGIC = [
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
]
MAX_PAGES = 200


class ScanError(ValueError):
    """Raised with a Chinese message saying why the file cannot be filed."""


@dataclass(frozen=True)
class Scan:
    data: bytes
    content_type: str
    extension: str
    page_count: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.data)


def _pdf_pages(data: bytes) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            raise ScanError("PDF文件已加密，无法归档，请上传未加密的扫描件。")
        pages = len(reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ScanError):
            raise
        raise ScanError("PDF文件已损坏或不完整，无法读取。") from exc
    if not 1 <= pages <= MAX_PAGES:
        raise ScanError(f"PDF页数应在1到{MAX_PAGES}页之间，当前为{pages}页。")
    return pages


def _check_image(data: bytes) -> None:
    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
    except Image.DecompressionBombError as exc:
        raise ScanError("图片像素过大，请缩小后再上传。") from exc
    except Exception as exc:
        raise ScanError("图片文件已损坏或不完整，无法读取。") from exc


def read_scan(upload) -> Scan:
    """Check an uploaded file and return its content; raise ScanError saying what is wrong."""
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ScanError(f"文件过大：上限为{limit // (1024 * 1024)} MB。")
    data = upload.read()
    if not data:
        raise ScanError("文件是空的。")
    kind = next((k for k in MAGIC if data.startswith(k[0])), None)
    if kind is None:
        raise ScanError("只能上传PDF、JPEG或PNG格式的扫描件（按文件内容识别，不看扩展名）。")
    _, content_type, extension = kind
    if extension == "pdf":
        pages = _pdf_pages(data)
    else:
        _check_image(data)
        pages = 1
    return Scan(data, content_type, extension, pages, sha256_bytes(data))


def store_scan(*, household_id: int, scan: Scan) -> str:
    """Write the scan under a generated name and return its path relative to MEDIA_ROOT."""
    relative = f"scans/{household_id}/{uuid.uuid4().hex}.{scan.extension}"
    atomic_write(media_path(relative), scan.data)
    return relative
