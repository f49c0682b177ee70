"""The dossier upload form in a real browser: every drop-down is as wide as its longest option."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from .factories import household_with_members

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

MEASURE = """() => Array.from(document.querySelectorAll('form select')).map(select => {
  const probe = document.createElement('span');
  probe.style.font = getComputedStyle(select).font;
  probe.style.whiteSpace = 'nowrap';
  probe.style.position = 'absolute';
  document.body.appendChild(probe);
  let widest = 0;
  for (const option of select.options) {
    probe.textContent = option.text;
    widest = Math.max(widest, probe.getBoundingClientRect().width);
  }
  probe.remove();
  const style = getComputedStyle(select);
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return {name: select.name, room: select.clientWidth - padding, text: widest};
})"""


def test_upload_form_drop_downs_show_their_whole_text(client_for, officer_a, village_a, os_environ):
    if not Path(CHROMIUM).exists():
        pytest.skip("未安装 Chromium")
    from playwright.sync_api import sync_playwright

    household = household_with_members(village_a)
    html = client_for(officer_a).get(reverse("archives:household", args=[household.pk]))
    css = (Path(settings.BASE_DIR) / "xixin_dibao/static/css/app.css").read_text()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.set_content(html.content.decode())
        page.add_style_tag(content=css)
        selects = page.evaluate(MEASURE)
        browser.close()
    assert {s["name"] for s in selects} >= {"kind", "group"}
    for select in selects:
        # Chromium's own width is text + arrow (about 20 px) with no gap, so the arrow sits on
        # the last character; ask for the arrow and 8 px of clear space inside the padding.
        assert select["room"] >= select["text"] + 28, select


@pytest.fixture
def os_environ(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the ORM calls stay synchronous."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
