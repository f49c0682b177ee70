"""S-15: nothing a user types makes the PDF renderer read a local file or touch the network."""

import logging
import socket
from io import BytesIO

import pytest
from pypdf import PdfReader

from archives.compile import compile_dossier
from archives.pdf import STATIC_DIR, html_document, static_path

from .factories import household_with_members

pytestmark = pytest.mark.django_db

FILE_TAG = '<img src="file:///etc/passwd">'
NETWORK_TAG = '<link href="http://10.0.0.1/x.css">'  # fits a 40-character name


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) any outgoing connection."""
    attempts = []

    def connect(self, address):
        attempts.append(address)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(
        socket, "create_connection", lambda address, *a, **k: connect(None, address)
    )
    return attempts


def test_markup_in_names_and_notes_is_printed_as_text(village_a, no_network, caplog):
    household = household_with_members(village_a, names=[FILE_TAG, NETWORK_TAG])
    household.hardship_note = '<img src="http://10.0.0.1/a.png"> 困难说明'
    household.save()

    pdf = compile_dossier(household).pdf

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "file:///etc/passwd" in text  # shown, escaped, as the name the user typed
    assert "10.0.0.1/x.css" in text
    assert "root:" not in text
    assert no_network == []


def test_renderer_refuses_file_and_network_urls_even_in_raw_markup(no_network, caplog):
    raw = f"""<html><head><link rel="stylesheet" href="http://10.0.0.1/x.css"><style>@import url("http://10.0.0.1/y.css");</style></head>
    <body><p>测试</p>{FILE_TAG}<img src="file:///proc/self/environ">
    <img src="../../../../etc/hostname"><img src="http://10.0.0.1/a.png"></body></html>"""

    with caplog.at_level(logging.WARNING, logger="archives.pdf"):
        pdf = html_document(raw).write_pdf()

    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) >= 5
    assert no_network == []
    text = PdfReader(BytesIO(pdf)).pages[0].extract_text()
    assert "root:" not in text and "PATH=" not in text


def test_static_files_are_still_served(caplog):
    css = STATIC_DIR / "css" / "app.css"
    assert static_path(css.as_uri()) == css
    assert static_path("file:///etc/passwd") is None
    assert static_path(css.as_uri().replace("css/app.css", "../../etc/passwd")) is None
    assert static_path(css.as_uri().replace("css/app.css", "%2e%2e/%2e%2e/manage.py")) is None
    assert static_path("http://127.0.0.1/static/css/app.css") is None
    assert static_path("file://evil.example/" + str(css)) is None
    html = '<link rel="stylesheet" href="css/app.css"><p class="muted">样式</p>'
    with caplog.at_level(logging.WARNING, logger="archives.pdf"):
        assert html_document(html).write_pdf().startswith(b"%PDF")
    assert not [r for r in caplog.records if "refused" in r.getMessage()]


def test_other_documents_styles_are_scoped_to_their_own_section():
    from archives.pdf import scope_css

    css = "@page { size: A3 } body { color: red } h1, p.x { font-size: 22pt } @media print { p { x: y } }"
    scoped = scope_css(css, ".s1")
    assert "@page" not in scoped and "@media" not in scoped
    assert ".s1 { color: red }" in scoped.replace("{color", "{ color")
    assert ".s1 h1, .s1 p.x" in scoped
    assert "</" not in scope_css("p { content: '</style><img src=x>' }", ".s1")
