"""Render HTML templates to PDF with WeasyPrint, safely.

The url_fetcher serves only the app's own static files: no network, no file:// outside static,
whatever a user typed into a name or a note (WeasyPrint docs, "Security"; S-15).
"""

import logging
import mimetypes
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import BlockNode

logger = logging.getLogger(__name__)

STATIC_DIR = (Path(settings.BASE_DIR) / "xixin_dibao" / "static").resolve()
_fonts = threading.local()


class BlockedURL(ValueError):
    pass


def static_path(url: str) -> Path | None:
    """The file a file:// URL names if it lies inside the static folder, else None."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    path = Path(unquote(parts.path)).resolve()
    if STATIC_DIR in path.parents and path.is_file():
        return path
    return None


def safe_url_fetcher():
    """A fetcher that serves files inside the static folder and refuses everything else."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_path(url)
            if path is None:
                logger.warning("PDF renderer refused a URL (scheme %s)", url.split(":", 1)[0][:10])
                raise BlockedURL("不允许在PDF中引用外部资源")
            # Read the checked path ourselves so the URL is never interpreted a second time.
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(
                path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return StaticOnlyFetcher(allowed_protocols=["file"], timeout=2)


def html_document(html: str):
    """A WeasyPrint HTML object for `html`, resolving relative URLs inside static only."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=safe_url_fetcher())


def font_config():
    """This thread's WeasyPrint FontConfiguration, so fonts are looked up and loaded once.

    A fresh one per PDF (WeasyPrint's default) reloads the CJK fonts for every dossier. Per
    thread, because Pango font maps are not thread-safe. Our templates declare no @font-face,
    so nothing one document adds to it can change another.
    """
    from weasyprint.text.fonts import FontConfiguration

    if not hasattr(_fonts, "config"):
        _fonts.config = FontConfiguration()
    return _fonts.config


def render_document(html: str):
    """Lay out `html` as a WeasyPrint Document: its pages, ready for write_pdf()."""
    return html_document(html).render(font_config=font_config())


def render_html(template_name: str, context: dict) -> str:
    context = {"pdf_font_family": settings.PDF_FONT_FAMILY, **context}
    return render_to_string(template_name, context)


_captured: ContextVar[list | None] = ContextVar("captured_renders", default=None)


@contextmanager
def capture_renders():
    """Collect render_pdf's (template, context) calls instead of rendering them (returns b"").

    The dossier uses this to lay out other apps' documents inline: one layout pass and one font
    subset for the whole dossier instead of a ~250 KB font subset per separately rendered PDF.
    """
    token = _captured.set([])
    try:
        yield _captured.get()
    finally:
        _captured.reset(token)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` with `context` to PDF bytes (fonts subset with HarfBuzz)."""
    captured = _captured.get()
    if captured is not None:
        captured.append((template_name, context))
        return b""
    return render_document(render_html(template_name, context)).write_pdf()


def render_block(template_name: str, block_name: str, context: dict) -> str:
    """One {% block %} of a template (one extending pdf/base.html), rendered with autoescape."""
    template = get_template(template_name).template
    for node in template.nodelist.get_nodes_by_type(BlockNode):
        if node.name == block_name:
            context = Context(
                {"pdf_font_family": settings.PDF_FONT_FAMILY, **context}, autoescape=True
            )
            with context.bind_template(template):  # {% include %} inside the block needs it
                return node.render(context)
    return ""


def scope_css(css: str, scope: str) -> str:
    """Prefix every selector with `scope` so one document's styles cannot restyle another's.

    At-rules (@page, @media…) are dropped: the dossier alone decides page size and numbering.
    """
    import tinycss2

    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",") if s.strip()]
        scoped = ", ".join(scope if s in ("html", "body") else f"{scope} {s}" for s in selectors)
        rules.append(f"{scoped} {{{tinycss2.serialize(rule.content)}}}")
    return "\n".join(rules).replace("</", "<\\/")
