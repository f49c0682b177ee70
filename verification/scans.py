"""Store and serve scanned paper (signed forms, receipts): PDF, JPEG or PNG only.

Files go under MEDIA_ROOT/scans/<year>/<month>/<uuid>.<ext>: the user's file name never reaches a
path (S-23). The type is checked by magic bytes, not by the name or the browser's content type.
Nothing is decoded or parsed in the server process: see scanguard.py (issue 19.2).
Downloads go through a view that checks the household first; this module only builds the response.
"""

import io
import json
import logging
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.http import content_disposition_header

from xixin_dibao.diskwrite import DiskFullError, atomic_write

from . import scanguard

logger = logging.getLogger(__name__)

MAGIC = {
    b"%PDF-": ("pdf", "application/pdf"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
}
CONTENT_TYPES = {ext: ctype for ext, ctype in MAGIC.values()}
CHUNK = 64 * 1024


class ScanError(ValueError):
    """The upload is not an acceptable scan; the message is shown to the user."""


@dataclass(frozen=True)
class StoredScan:
    path: str  # relative to MEDIA_ROOT
    pages: int
    content_type: str
    size: int


def _max_bytes() -> int:
    return getattr(settings, "UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


def sniff(head: bytes) -> tuple[str, str] | None:
    """Return (extension, content type) for a PDF/JPEG/PNG header, else None."""
    for magic, kind in MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def _limits() -> dict:
    return {
        "max_pixels": settings.SCAN_MAX_PIXELS,
        "max_pages": settings.SCAN_MAX_PDF_PAGES,
        "max_objects": settings.SCAN_MAX_PDF_OBJECTS,
        "memory_mb": settings.SCAN_MEMORY_MB,
        "cpu_seconds": max(1, int(settings.SCAN_TIMEOUT_SECONDS)),
    }


def checked(data: bytes, *, mode: str = "store") -> tuple[int, bytes]:
    """(pages, bytes) of a scan checked and cleaned in a limited child process (issue 19.2).

    The header checks run here first, so an oversized image or an object-flooded PDF is refused
    in milliseconds without decoding; everything that parses or decodes runs in the child.
    Raises ScanError with a Chinese message.
    """
    limits = _limits()
    if data.startswith(b"%PDF-"):
        error = scanguard.pdf_header_error(data, limits["max_objects"], limits["max_pages"])
    else:
        error = scanguard.image_header_error(data, limits["max_pixels"])
    if error:
        raise ScanError(error)
    command = [sys.executable, "-I", scanguard.__file__, mode, json.dumps(limits)]
    timeout = settings.SCAN_TIMEOUT_SECONDS
    try:
        proc = subprocess.run(command, input=data, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ScanError(
            f"扫描件处理超时（超过 {timeout:g} 秒），已拒收。请重新扫描为普通的 PDF 或图片后上传。"
        ) from exc
    head, _, payload = proc.stdout.partition(b"\n")
    try:
        info = json.loads(head)
    except ValueError:
        info = None
    if proc.returncode != 0 or not isinstance(info, dict):
        logger.warning("scan check child ended with %s", proc.returncode)
        raise ScanError("扫描件处理超出时间或内存限制，已拒收。请重新扫描后上传。")
    if not info.get("ok"):
        raise ScanError(info.get("error") or "扫描件无法读取，请重新扫描后上传。")
    return int(info["pages"]), payload


def scan_as_pdf(path: Path) -> tuple[bytes, int]:
    """A stored scan as PDF bytes and its page count, for the dossier (checked again, limited)."""
    pages, pdf = checked(path.read_bytes(), mode="pdf")
    return pdf, pages


def store_scan(uploaded_file, *, max_bytes: int | None = None) -> StoredScan:
    """Check and store an uploaded scan under a generated name; return where it went."""
    limit = max_bytes or _max_bytes()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise ScanError(f"扫描件过大（{size / 1048576:.1f} MB），上限为 {limit / 1048576:.0f} MB。")
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise ScanError(f"扫描件过大，上限为 {limit / 1048576:.0f} MB。")
    if not data:
        raise ScanError("扫描件是空文件。")
    kind = sniff(data[:16])
    if kind is None:
        raise ScanError("扫描件只接受 PDF、JPG 或 PNG 格式（按文件内容判断，不看扩展名）。")
    ext, content_type = kind
    pages, data = checked(data)
    now = timezone.localtime()
    relative = Path("scans") / f"{now:%Y}" / f"{now:%m}" / f"{uuid.uuid4().hex}.{ext}"
    target = Path(settings.MEDIA_ROOT) / relative
    try:
        atomic_write(target, data)  # whole file or none
    except DiskFullError as exc:
        raise ScanError(str(exc)) from exc
    return StoredScan(
        path=relative.as_posix(), pages=pages, content_type=content_type, size=len(data)
    )


def _checked_pdf(uploaded_file, limit: int) -> bytes:
    """One of several uploads as checked, cleaned PDF bytes (the same limits as store_scan)."""
    name = getattr(uploaded_file, "name", "") or "扫描件"
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise ScanError(
            f"“{name}”过大（{size / 1048576:.1f} MB），上限为 {limit / 1048576:.0f} MB。"
        )
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise ScanError(f"“{name}”过大，上限为 {limit / 1048576:.0f} MB。")
    if not data or sniff(data[:16]) is None:
        raise ScanError(f"“{name}”不是 PDF、JPG 或 PNG 文件（按文件内容判断，不看扩展名）。")
    try:
        _pages, pdf = checked(data, mode="pdf")
    except ScanError as exc:
        raise ScanError(f"“{name}”：{exc}") from None
    return pdf


def store_scans(uploaded_files: list, *, max_bytes: int | None = None) -> StoredScan:
    """Store one scan, or several (pages of one signed form) joined into one PDF in order."""
    if len(uploaded_files) == 1:
        return store_scan(uploaded_files[0], max_bytes=max_bytes)
    from pypdf import PdfReader, PdfWriter

    limit = max_bytes or _max_bytes()
    writer = PdfWriter()
    for uploaded in uploaded_files:
        for page in PdfReader(io.BytesIO(_checked_pdf(uploaded, limit))).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    joined = io.BytesIO(out.getvalue())
    joined.name, joined.size = "合并扫描件.pdf", None
    return store_scan(joined, max_bytes=max(limit, len(out.getvalue())))


def scan_file(relative: str) -> Path:
    """The absolute path of a stored scan; 404 if missing or outside MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / relative).resolve()
    if not relative or root not in path.parents or not path.is_file():
        raise Http404("扫描件不存在")
    return path


def scan_response(relative: str, download_name: str, *, inline: bool = True) -> FileResponse:
    """Serve a stored scan with a safe type and an RFC 5987 `filename*` for Chinese names."""
    path = scan_file(relative)
    ext = path.suffix.lstrip(".")
    filename = f"{download_name}.{ext}"
    response = FileResponse(
        path.open("rb"), content_type=CONTENT_TYPES.get(ext, "application/octet-stream")
    )
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def pdf_response(data: bytes, filename: str, *, inline: bool = True):
    """An HttpResponse for generated PDF bytes with an RFC 5987 file name."""
    from django.http import HttpResponse

    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    return response
