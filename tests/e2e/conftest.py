"""Browser journeys: Playwright driving Debian's Chromium against the live test server."""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "Xixin#2022pass"
# What Chromium prints when the Content-Security-Policy blocks something (issue 19.11), and what
# the listener below reports: every journey fails on one. Playwright's wait_for_function
# evaluates a string inside the page, which the policy refuses as eval: wait with
# expect(locator) instead (page.evaluate goes through DevTools and is not affected).
CSP_MESSAGE = re.compile(r"Content[- ]Security[- ]Policy|Refused to", re.I)
CSP_LISTENER = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("Content Security Policy violation: " + e.violatedDirective + " " + e.blockedURI +
    " " + (e.sourceFile || "") + ":" + e.lineNumber);
});"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("未安装 Chromium（make test 会安装 Debian 的 chromium 包）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Journey:
    """One user's browser session; `shot(name)` saves a numbered screenshot for people to see."""

    def __init__(self, browser, live_server, name):
        self.context = browser.new_context(
            viewport={"width": 1366, "height": 768}, locale="zh-CN", accept_downloads=True
        )
        # Injected by the browser, not the page: the policy does not apply to it.
        self.context.add_init_script(CSP_LISTENER)
        self.page = self.context.new_page()
        self.csp_violations = []
        self.page.on("console", self._console)
        self.base = live_server.url
        self.folder = ARTIFACTS / re.sub(r"[^\w-]+", "_", name)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0

    def _console(self, message):
        if CSP_MESSAGE.search(message.text):
            self.csp_violations.append(f"{self.page.url}: {message.text}")

    def go(self, path):
        self.page.goto(self.base + path)
        return self.page

    def login(self, username, password=PASSWORD):
        self.go("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()
        return self.page

    def shot(self, name):
        self.step += 1
        self.page.screenshot(path=str(self.folder / f"{self.step:02d}-{name}.png"), full_page=True)


@pytest.fixture
def journey(browser, live_server, request):
    journeys = []

    def start(name=None):
        j = Journey(browser, live_server, name or request.node.name)
        journeys.append(j)
        return j

    yield start
    for j in journeys:
        j.context.close()
    violations = [v for j in journeys for v in j.csp_violations]
    assert not violations, f"Content-Security-Policy 拦截了页面内容：{violations}"
