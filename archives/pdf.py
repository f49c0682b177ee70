"""Render HTML templates to PDF with WeasyPrint, safely.

The url_fetcher serves only the app's own static files: no network, no file:// outside static,
whatever a user typed into a name or a note (WeasyPrint docs, "Security").
"""

import logging
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

STATIC_DIR = (Path(settings.BASE_DIR) / "xixin_dibao" / "static").resolve()


class BlockedURL(ValueError):
    pass


def safe_url_fetcher():
    """A fetcher that serves files inside the static folder and refuses everything else."""
    from weasyprint.urls import URLFetcher

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("file://"):
                path = Path(url[len("file://") :].split("?")[0]).resolve()
                if STATIC_DIR in path.parents and path.is_file():
                    return super().fetch(url, headers)
            logger.warning("PDF renderer refused a URL (scheme %s)", url.split(":", 1)[0][:10])
            raise BlockedURL("不允许在PDF中引用外部资源")

    return StaticOnlyFetcher(allowed_protocols=["file"], timeout=2)


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render `template_name` with `context` to PDF bytes (fonts subset with HarfBuzz)."""
    from weasyprint import HTML

    context = {"pdf_font_family": settings.PDF_FONT_FAMILY, **context}
    html = render_to_string(template_name, context)
    document = HTML(string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=safe_url_fetcher())
    return document.write_pdf()
