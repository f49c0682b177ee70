"""P-4: one 3–5 page dossier ÷ the same document with its Chinese replaced by Latin letters.

Both are laid out and written as archives.compile.compile_dossier does (the front matter with
its 卷内目录 and the documents laid out separately, written as one PDF with one font subset),
in this process, after one warm-up each, alternating. The Latin copy keeps every character count: each Chinese character or CJK
punctuation mark becomes one character of Latin text ("abcde fghij …": five letters, then a
space, as words run in Latin text; without spaces every phrase would become one unbreakable
word, which is slower to lay out than real text and would flatter the ratio). So the ratio
shows what the CJK glyphs cost (shaping, line breaking, the font subset — WeasyPrint #2120).
"""

from __future__ import annotations

import re
import statistics
import time

from django.db.models import Count

from archives.compile import _young_garbage_only, dossier_plan, lay_out
from archives.pdf import render_document
from households.models import Household

from .measure import Row

CJK = re.compile(
    r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
)
LATIN = "abcde fghij klmno pqrst uvwxy "


def latin_copy(html: str) -> str:
    """The same HTML with every CJK character replaced by one character of Latin words."""
    counter = iter(range(1 << 62))
    return CJK.sub(lambda m: LATIN[next(counter) % len(LATIN)], html)


def dossier_html(household: Household) -> tuple[str, str]:
    """The dossier's two HTML sources as compile_dossier lays them out: front matter, documents."""
    context, docs, _ = dossier_plan(household)
    layout = lay_out(context, docs)
    return layout.front_html, layout.body_html


def render(htmls: tuple[str, str]) -> tuple[float, int, int]:
    """(seconds, pages, bytes) of laying out both parts and writing one PDF (as compile_dossier)."""
    started = time.perf_counter()
    with _young_garbage_only():
        front, body = (render_document(html) for html in htmls)
        pdf = front.copy([*front.pages, *body.pages]).write_pdf()
    return time.perf_counter() - started, len(front.pages) + len(body.pages), len(pdf)


def pick_household(
    min_pages: int = 3, max_pages: int = 5
) -> tuple[Household, tuple[str, str], int]:
    """A screened household whose dossier has 3–5 pages (larger households first)."""
    candidates = (
        Household.objects.filter(screening_results__is_current=True)
        .annotate(n=Count("members", distinct=True))
        .filter(n__gte=3)
        .select_related("village__township", "group")
        .order_by("-n", "pk")[:20]
    )
    for household in candidates:
        html = dossier_html(household)
        _, pages, _ = render(html)
        if min_pages <= pages <= max_pages:
            return household, html, pages
    raise RuntimeError("找不到页数为 3–5 页的档案样本")


def pdf_rows(*, repeat: int = 5) -> list[Row]:
    household, html, pages = pick_household()
    latin = tuple(latin_copy(part) for part in html)
    render(latin)  # warm-up (the CJK copy was rendered while picking)
    cjk_times, latin_times = [], []
    for _ in range(repeat):
        seconds, cjk_pages, cjk_bytes = render(html)
        cjk_times.append(seconds)
        seconds, latin_pages, latin_bytes = render(latin)
        latin_times.append(seconds)
    cjk, latin_median = statistics.median(cjk_times), statistics.median(latin_times)
    ratio = cjk / latin_median
    chars = sum(len(CJK.findall(part)) for part in html)
    return [
        Row(
            "pdf",
            f"一户一档PDF（{cjk_pages} 页，中文）÷ 同一文档换成拉丁字母",
            cjk,
            latin_median,
            "s",
            "≤ 1.3",
            ratio=ratio,
            passed=ratio <= 1.3,
            note=(
                f"户 {household.code}（{household.n} 人）；同一进程、预热后交替各 {repeat} 次取中位数；"
                f"{chars:,} 个中文字符逐个换成拉丁文（5 个字母一个词，字符数不变）后为 {latin_pages} 页；"
                f"PDF 大小 {cjk_bytes / 1024:.0f} KB / {latin_bytes / 1024:.0f} KB（字体已子集化）。"
            ),
            extra={"pages": pages, "cjk_times": cjk_times, "latin_times": latin_times},
        )
    ]
