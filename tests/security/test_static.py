import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_serves_its_own_static_files(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert b".topbar" in b"".join(response.streaming_content)


def test_no_page_loads_anything_from_the_internet():
    """Township intranet: every script, style, font and image is served locally (no CDN)."""
    external = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.I)
    css_import = re.compile(r"""@import\s+url\(\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//""")
    offenders = []
    for folder in (
        "templates",
        "xixin_dibao/static",
        "households",
        "screening",
        "verification",
        "archives",
    ):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".html", ".css", ".js") and path.is_file():
                text = path.read_text(encoding="utf-8")
                if external.search(text) or css_import.search(text):
                    offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders
