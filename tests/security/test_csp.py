"""Issue 19.11: a Content-Security-Policy without 'unsafe-inline', and pages that need none.

Three layers, each catching what the others cannot:
- every URL of the app (walked from the URL resolver with the access matrix's objects, for the
  office, a village officer and the leadership) and the administrators' admin pages answer with
  the strict policy, and the HTML each one returns holds no inline script, style element, style
  attribute or event handler (the rendered markup: HTML built in Python counts too);
- every template served as HTML is scanned at source (catches branches no test renders);
- Chromium opens each role's main pages and sees no CSP violation, and their scripts still work:
  tests/e2e/test_csp_pages.py (beside the other journeys, sharing their one browser); and
  tests/e2e/conftest.py fails every browser journey on a CSP violation.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.security.test_access_matrix import (
    ADMIN_PAGES,
    app_url_names,
    leader_url,
    world,  # noqa: F401  (fixture)
)

HEADER = "Content-Security-Policy"
# Source expressions the policy may use at all: this server, nothing, data: images, a nonce.
ALLOWED_SOURCES = re.compile(r"'self'|'none'|data:|'nonce-[A-Za-z0-9+/=]+'")


def directives(value: str) -> dict[str, list[str]]:
    parsed = {}
    for part in value.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def policy_problems(response) -> list[str]:
    """What is wrong with a response's policy header ([] when it is the strict one)."""
    if HEADER not in response.headers:
        return ["没有 Content-Security-Policy 响应头"]
    policy = directives(response.headers[HEADER])
    problems = []
    for name in ("default-src", "script-src", "style-src"):
        if name not in policy:
            problems.append(f"缺少 {name}")
    for name in ("script-src", "style-src"):
        for bad in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'"):
            if bad in policy.get(name, []):
                problems.append(f"{name} 含 {bad}")
    for name, sources in policy.items():
        problems += [f"{name} 含 {s}" for s in sources if not ALLOWED_SOURCES.fullmatch(s)]
    for name, want in (("object-src", ["'none'"]), ("frame-ancestors", ["'none'"])):
        if policy.get(name) != want:
            problems.append(f"{name} 应为 {want}")
    for name in ("base-uri", "form-action"):
        if policy.get(name) != ["'self'"]:
            problems.append(f"{name} 应为 'self'")
    return problems


URL_ATTRIBUTES = ("href", "src", "action", "formaction")


class InlineFinder(HTMLParser):
    """Inline script, style and handlers in rendered HTML that the policy would refuse."""

    def __init__(self, nonces=()):
        super().__init__(convert_charrefs=True)
        self.nonces = set(nonces)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"第{line}行 <{tag}> 有 style 属性")
            elif re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"第{line}行 <{tag}> 有 {name} 事件属性")
            elif name in URL_ATTRIBUTES and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"第{line}行 <{tag}> 有 javascript: 地址")
        nonced = values.get("nonce") in self.nonces
        if tag == "script" and not values.get("src") and not nonced:
            if (values.get("type") or "").lower() != "application/json":
                self.problems.append(f"第{line}行 内联 <script>")
        if tag == "style" and not nonced:
            self.problems.append(f"第{line}行 <style> 没有本次响应的 nonce")

    handle_startendtag = handle_starttag


def inline_problems(html: str, nonces=()) -> list[str]:
    finder = InlineFinder(nonces)
    finder.feed(html)
    finder.close()
    return finder.problems


def response_nonces(response) -> list[str]:
    return re.findall(r"'nonce-([^']+)'", response.headers.get(HEADER, ""))


def test_the_checks_themselves_catch_what_the_policy_refuses():
    bad = (
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<a href="javascript:x()">x</a><style>p{}</style><svg><rect style="fill:red"/></svg>'
    )
    assert len(inline_problems(bad)) == 6
    good = (
        '<script src="/static/js/app.js"></script>'
        '<script id="d" type="application/json">{"a": 1}</script>'
        '<style nonce="abc">p{}</style><p class="x" data-on="1">x</p>'
    )
    assert inline_problems(good, nonces=["abc"]) == []
    assert inline_problems('<style nonce="other">p{}</style>', nonces=["abc"])
    assert template_problems('<div style="x">{# <b style="y"> #}<script>1</script>') == [
        'style 属性: <div style="x">',
        "内联 <script>: <script>",
    ]


@pytest.mark.django_db
def test_the_policy_is_enforced_by_default_and_strict(client):
    response = client.get(reverse("login"))
    assert policy_problems(response) == []
    policy = directives(response[HEADER])
    assert policy["default-src"] == policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert "Content-Security-Policy-Report-Only" not in response.headers
    assert inline_problems(response.content.decode()) == []


HEADERS_IN_A_FRESH_PROCESS = """import django; django.setup()
from django.http import HttpResponse
from django.test import RequestFactory
from csp.middleware import CSPMiddleware
response = CSPMiddleware(lambda request: HttpResponse("x"))(RequestFactory().get("/"))
for name in ("Content-Security-Policy", "Content-Security-Policy-Report-Only"):
    print(name, "=", response.headers.get(name, "-"))
"""


@pytest.mark.parametrize("value", ["", "0", "1"])
def test_report_only_mode_is_an_environment_setting_enforcing_by_default(value):
    """CSP_REPORT_ONLY=1 sends the same policy as Report-Only (to try a change); else enforced."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, DJANGO_SETTINGS_MODULE="xixin_dibao.settings")
    env.pop("CSP_REPORT_ONLY", None)
    if value:
        env["CSP_REPORT_ONLY"] = value
    out = subprocess.run(
        [sys.executable, "-c", HEADERS_IN_A_FRESH_PROCESS],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    headers = dict(line.split(" = ", 1) for line in out.stdout.splitlines())
    assert set(headers) == {HEADER, f"{HEADER}-Report-Only"}, out.stderr[-800:]
    enforced, reported = headers[HEADER], headers[f"{HEADER}-Report-Only"]
    if value == "1":
        assert enforced == "-" and "script-src 'self'" in reported
    else:
        assert reported == "-" and "script-src 'self'" in enforced
        assert "unsafe-inline" not in enforced


# Main pages each role must have been shown (200, HTML) and scanned by the walk below: a guard
# against a walk that quietly scans nothing (a login redirect, a 403 everywhere).
MUST_SCAN = {
    "households:list",
    "households:create",
    "households:edit",
    "households:detail",
    "screening:queue",
    "screening:what_if",
    "verification:case_list",
    "verification:case_detail",
    "verification:meeting_detail",
    "verification:notice_print",
    "archives:household",
    "dashboard",
    "dashboard_bulletin",
    "job_detail",
    "todo",
    "login",
    "admin:index",
    "admin:households_township_export",
}
# Admin pages beyond the access matrix's: the project customises the export page.
MORE_ADMIN_PAGES = {
    "admin:index": {"admin", "security_admin", "audit_admin"},
    "admin:households_township_export": {"admin"},
    "admin:households_township_import": {"admin"},
    "admin:households_village_add": {"admin"},
}


@pytest.mark.django_db
def test_every_page_sends_the_policy_and_holds_nothing_inline(
    client,
    client_for,
    world,  # noqa: F811
    campaign,
    office_user,
    leader,
    village_b,
):
    from tests.factories import OfficerFactory, UserFactory
    from tests.verification.factories import screening_result
    from xixin_dibao.models import Job

    screening_result(world["household"], campaign)  # the household page shows its verdict
    office_user.township = village_b.township
    office_user.save()
    officer = OfficerFactory(username="officer_b_csp", village=village_b)
    clients = {
        "office": client_for(office_user),
        "village_officer": client_for(officer),
        "leadership": client_for(leader),
    }
    jobs = {
        role: Job.objects.create(kind="export", title="导出", owner=user, status="running", total=4)
        for role, user in (("office", office_user), ("village_officer", officer))
    }
    problems, scanned = [], set()

    def check(name, url, who, response):
        where = f"{who} GET {url} ({name}) → {response.status_code}"
        problems.extend(f"{where}: {p}" for p in policy_problems(response))
        html = response.status_code == 200 and response["Content-Type"].startswith("text/html")
        if html:
            found = inline_problems(response.content.decode(), response_nonces(response))
            problems.extend(f"{where}: {p}" for p in found)
            scanned.add(name)

    for name, _ in sorted(app_url_names()):
        for role, app_client in clients.items():
            url = leader_url(name, world, jobs.get(role, jobs["office"]))
            check(name, url, role, app_client.get(url))
    check("login", reverse("login"), "anonymous", client.get(reverse("login")))
    check("404", "/no-such-page/", "anonymous", client.get("/no-such-page/"))

    admins = {
        role: client_for(UserFactory(username=f"{role}_csp", role=role, is_staff=True))
        for role in ("admin", "security_admin", "audit_admin")
    }
    for name, roles in sorted({**ADMIN_PAGES, **MORE_ADMIN_PAGES}.items()):
        for role in sorted(roles):
            url = reverse(name)
            check(name, url, role, admins[role].get(url))
    user_change = reverse("admin:xixin_dibao_user_change", args=[officer.pk])
    check("admin:xixin_dibao_user_change", user_change, "admin", admins["admin"].get(user_change))

    assert not problems, "\n".join(problems)
    assert MUST_SCAN <= scanned, sorted(MUST_SCAN - scanned)


# --- Templates, at source -------------------------------------------------------------------

TEMPLATE_ROOTS = [Path(settings.BASE_DIR) / "templates"] + sorted(
    p for p in Path(settings.BASE_DIR).glob("*/templates") if p.is_dir()
)
# Templates under a pdf/ folder (and *_pdf.html) are read by WeasyPrint alone, never sent to a
# browser with the header, so they keep their <style> and style="" (WeasyPrint needs them).
# These two are also served as a web page (verification:notice_print): scanned like the rest,
# their one <style> carries the request's nonce.
SERVED_PDF_TEMPLATES = {"pdf/base.html", "verification/pdf/public_notice.html"}


def is_pdf_only(name: str) -> bool:
    parts = name.split("/")
    return name not in SERVED_PDF_TEMPLATES and ("pdf" in parts[:-1] or name.endswith("_pdf.html"))


def html_templates():
    for root in TEMPLATE_ROOTS:
        for path in sorted(root.rglob("*.html")):
            name = path.relative_to(root).as_posix()
            if not is_pdf_only(name):
                yield name, path


COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")


def template_problems(source: str) -> list[str]:
    problems = []
    for tag in TAG.findall(COMMENTS.sub("", source)):
        name = re.match(r"<([a-zA-Z0-9]+)", tag).group(1).lower()
        if name == "script" and not re.search(r"\ssrc\s*=", tag):
            if not re.search(r"""type\s*=\s*["']application/json""", tag) and "nonce=" not in tag:
                problems.append(f"内联 <script>: {tag}")
        if name == "style" and "nonce=" not in tag:
            problems.append(f"<style> 没有 nonce: {tag}")
        if re.search(r"""[\s"'}]style\s*=""", tag):
            problems.append(f"style 属性: {tag}")
        if re.search(r"""[\s"'}]on[a-z]+\s*=""", tag):
            problems.append(f"事件属性: {tag}")
        if "javascript:" in tag.lower():
            problems.append(f"javascript: 地址: {tag}")
    return problems


def test_no_template_served_as_html_holds_inline_script_or_style():
    found = {
        name: problems
        for name, path in html_templates()
        if (problems := template_problems(path.read_text(encoding="utf-8")))
    }
    assert not found, found
    assert len(list(html_templates())) > 50  # the walk found the templates


def test_the_nonced_style_is_only_in_the_notice_a_browser_also_opens():
    """The one inline <style> a browser gets is the printable notice's, with a nonce."""
    nonced = {
        name
        for name, path in html_templates()
        if re.search(r"<style[^>]*nonce=", path.read_text(encoding="utf-8"))
    }
    assert nonced == {"pdf/base.html"}


def test_pdf_only_templates_are_not_rendered_as_pages():
    """A template the scan skips as PDF-only is never passed to render() or a view's template_name."""
    rendered = set()
    for py in Path(settings.BASE_DIR).glob("*/**/*.py"):
        if ".venv" in py.parts or "tests" in py.parts:
            continue
        text = py.read_text(encoding="utf-8")
        rendered |= set(re.findall(r"""render\(\s*request,\s*["']([^"']+)["']""", text))
        rendered |= set(re.findall(r"""template_name\s*=\s*["']([^"']+)["']""", text))
    assert rendered, "no render() call found: the pattern is out of date"
    assert not {n for n in rendered if is_pdf_only(n)}


def test_static_scripts_need_no_eval_or_inline_code():
    roots = [Path(settings.BASE_DIR) / "xixin_dibao" / "static" / "js"]
    banned = re.compile(
        r"""\beval\(|new Function\(|set(?:Timeout|Interval)\(\s*["'`]|"""
        r"""setAttribute\(\s*["'](?:style|on[a-z]+)["']|\.innerHTML\s*=[^;]*(?:style=|on[a-z]+=)"""
    )
    found = {
        str(js): banned.findall(js.read_text(encoding="utf-8"))
        for root in roots
        for js in root.rglob("*.js")
        if banned.search(js.read_text(encoding="utf-8"))
    }
    assert not found, found
