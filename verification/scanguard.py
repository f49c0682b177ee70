"""Check, clean and convert one scan inside a child process with CPU, memory and file limits.

Issue 19.2: a 20 KB PNG of 13,000 x 13,000 pixels decoded to 1 GB in the web process, and a
300 KB PDF that lists one page 50,000 times kept a core busy for minutes. So a scan is never
decoded or parsed in the server: verification.scans runs this file as
`python -I scanguard.py MODE LIMITS_JSON` with the scan on stdin, under setrlimit (address
space, CPU seconds, no file writes) and a wall-clock timeout. The child answers one JSON line,
then the output bytes. It imports no Django (it starts in a fraction of a second); the cheap
header checks below are also called by the server before it starts a child at all.

MODE "store": a PDF comes back with JavaScript, actions, forms, attachments and link targets
removed; an image comes back as it was, once its header and checksums verify.
MODE "pdf": a PDF of the scan for the dossier (images scaled to MAX_SIDE and put on a page).
"""

import io
import json
import re
import sys

MAX_SIDE = 2000  # pixels: about 240 dpi across an A4 page, plenty for a scan
OBJ_RE = re.compile(rb"\d+\s+\d+\s+obj\b")
KIDS_RE = re.compile(rb"/Kids\s*\[([^\]]*)\]")
REF_RE = re.compile(rb"\d+\s+\d+\s+R\b")
PAGES_COUNT_RE = re.compile(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)")
OBJSTM_N_RE = re.compile(rb"/Type\s*/ObjStm\b[^>]*?/N\s+(\d+)|/N\s+(\d+)[^>]*?/Type\s*/ObjStm\b")
# Annotations that act when clicked or shown; a scan needs none of them.
ACTIVE_ANNOTS = {"/Link", "/Widget", "/Screen", "/Movie", "/Sound", "/RichMedia", "/FileAttachment"}


class Rejected(Exception):
    """The scan is refused; the message is shown to the user as it is."""


def too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    return (
        f"图片像素过多（{width}×{height}，约 {width * height / 1e6:.0f} 百万像素），"
        f"上限为 {max_pixels / 1e6:.0f} 百万像素。请以 300 dpi 左右重新扫描后上传。"
    )


def image_header_error(data: bytes, max_pixels: int) -> str | None:
    """Read only the image header: refuse more than `max_pixels` before anything is decoded."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        return f"图片像素过多，上限为 {max_pixels / 1e6:.0f} 百万像素。请以 300 dpi 左右重新扫描后上传。"
    except Exception:  # noqa: BLE001 - any unreadable header is a broken file
        return "图片文件已损坏或不完整，无法读取。"
    if width * height > max_pixels:
        return too_many_pixels(width, height, max_pixels)
    return None


def pdf_object_count(data: bytes) -> int:
    """Objects a PDF declares: `n g obj` headers plus the objects packed in object streams."""
    packed = sum(int(a or b) for a, b in OBJSTM_N_RE.findall(data))
    return len(OBJ_RE.findall(data)) + packed


def pdf_header_error(data: bytes, max_objects: int, max_pages: int) -> str | None:
    """Refuse from the raw bytes, without parsing: too many objects, or a page list too long.

    The page tree walk in the child is what enforces the page limit (these arrays may sit in
    compressed object streams); this finds the plain-text case in milliseconds.
    """
    count = pdf_object_count(data)
    if count > max_objects:
        return f"PDF 文件结构过于复杂（{count} 个对象，上限 {max_objects}），请重新扫描为普通 PDF 后上传。"
    declared = max((int(n) for n in PAGES_COUNT_RE.findall(data)), default=0)
    listed = max((len(REF_RE.findall(kids)) for kids in KIDS_RE.findall(data)), default=0)
    if max(declared, listed) > max_pages:
        return f"PDF 页数超过上限（{max_pages} 页），请分开上传。"
    return None


def _page_count(pages_root, max_pages: int) -> int:
    """Walk the page tree once: each node at most once, never more than `max_pages` pages."""
    from pypdf.generic import IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [(pages_root, 0)]
    count = 0
    while stack:
        ref, depth = stack.pop()
        if isinstance(ref, IndirectObject):
            key = (ref.idnum, ref.generation)
            if key in seen:
                raise Rejected("PDF 页面结构异常（同一页面被重复引用），已拒收。请重新扫描后上传。")
            seen.add(key)
        node = ref.get_object()
        if depth > 32 or not hasattr(node, "get"):
            raise Rejected("PDF 页面结构异常，已拒收。请重新扫描后上传。")
        kids = node.get("/Kids")
        if kids is None:
            count += 1
        else:
            kids = kids.get_object()
            if len(kids) > max_pages:
                raise Rejected(f"PDF 页数超过上限（{max_pages} 页），请分开上传。")
            stack.extend((kid, depth + 1) for kid in kids)
        if count > max_pages:
            raise Rejected(f"PDF 页数超过上限（{max_pages} 页），请分开上传。")
    return count


def _inert_pages(reader) -> list:
    """The pages without page actions or active annotations (edited in the reader's objects)."""
    from pypdf.generic import ArrayObject, NameObject

    pages = []
    for page in reader.pages:
        page.pop(NameObject("/AA"), None)
        annots = page.get("/Annots")
        if annots is not None:
            kept = ArrayObject()
            for annot in annots.get_object():
                obj = annot.get_object()
                if obj.get("/Subtype") in ACTIVE_ANNOTS or "/A" in obj or "/AA" in obj:
                    continue
                kept.append(annot)
            page.pop(NameObject("/Annots"), None)
            if kept:
                page[NameObject("/Annots")] = kept
        pages.append(page)
    return pages


def _pdf(data: bytes, limits: dict) -> tuple[dict, bytes]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    error = pdf_header_error(data, limits["max_objects"], limits["max_pages"])
    if error:
        raise Rejected(error)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise Rejected("PDF 文件已加密，无法归档，请上传未加密的扫描件。")
        declared = int(reader.trailer.get("/Size", 0))
        if declared > limits["max_objects"]:
            raise Rejected(
                f"PDF 文件结构过于复杂（{declared} 个对象，上限 {limits['max_objects']}），"
                "请重新扫描为普通 PDF 后上传。"
            )
        pages = _page_count(reader.trailer["/Root"]["/Pages"], limits["max_pages"])
        if pages < 1:
            raise Rejected("PDF 文件没有页面。")
        # A new document holding only the pages (and what they draw): the catalog's open
        # action, JavaScript and attachment name trees, forms and outlines are left behind.
        writer = PdfWriter()
        for page in _inert_pages(reader):
            writer.add_page(page)
        out = io.BytesIO()
        writer.write(out)
    except (Rejected, MemoryError):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise Rejected("PDF 文件已损坏或无法读取，请重新扫描后上传。") from exc
    return {"pages": pages}, out.getvalue()


def _image(data: bytes, limits: dict, *, as_pdf: bool) -> tuple[dict, bytes]:
    from PIL import Image, ImageOps

    error = image_header_error(data, limits["max_pixels"])
    if error:
        raise Rejected(error)
    Image.MAX_IMAGE_PIXELS = limits["max_pixels"]
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        if not as_pdf:
            return {"pages": 1}, data
        with Image.open(io.BytesIO(data)) as original:
            original.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale
            image = ImageOps.exif_transpose(original)
            if image.mode in ("RGBA", "LA", "P"):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            elif image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, "PDF", resolution=150.0)
            return {"pages": 1}, out.getvalue()
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for a broken file
        raise Rejected("图片文件已损坏或不完整，无法读取。") from exc


def process(mode: str, data: bytes, limits: dict) -> tuple[dict, bytes]:
    """Check (and for MODE "pdf" convert) one scan; raises Rejected with a Chinese message."""
    if data.startswith(b"%PDF-"):
        return _pdf(data, limits)
    if data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        return _image(data, limits, as_pdf=mode == "pdf")
    raise Rejected("扫描件只接受 PDF、JPG 或 PNG 格式（按文件内容判断，不看扩展名）。")


def _limit(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # the child writes no files


def main() -> None:
    mode, limits = sys.argv[1], json.loads(sys.argv[2])
    data = sys.stdin.buffer.read()
    # Import what the file needs before the memory limit applies.
    if data.startswith(b"%PDF-"):
        import pypdf  # noqa: F401
    else:
        import PIL.Image  # noqa: F401
    _limit(limits["memory_mb"], limits["cpu_seconds"])
    try:
        info, payload = process(mode, data, limits)
    except Rejected as exc:
        info, payload = {"ok": False, "error": str(exc)}, b""
    except MemoryError:
        info = {
            "ok": False,
            "error": "扫描件处理超出内存限制，已拒收。请降低分辨率重新扫描后上传。",
        }
        payload = b""
    except Exception as exc:  # noqa: BLE001 - any other failure refuses the scan, never the server
        info = {"ok": False, "error": "扫描件无法读取，已拒收。请重新扫描后上传。"}
        payload = b""
        print(f"scanguard: {type(exc).__name__}", file=sys.stderr)
    else:
        info["ok"] = True
    sys.stdout.buffer.write(json.dumps(info, ensure_ascii=False).encode() + b"\n" + payload)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
