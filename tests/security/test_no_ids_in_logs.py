"""Issue 19.6: no ID number in any log, proven with a real web server and a real worker.

gunicorn serves the app with a plain access log (no masking, as nginx in front would write
it), a Celery worker runs the background export; an office user logs in, searches by ID number,
reveals it, checks it and exports. Then every log is grepped for 18- and 15-digit ID numbers.
"""

import http.cookiejar
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.models import Permission

from tests.factories import HouseholdFactory, MemberFactory, UserFactory, VillageFactory

ID18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
ID15 = re.compile(r"(?<!\d)\d{15}(?!\d)")
PASSWORD = "Xixin#2022pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, CSRF token, redirects."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def get(self, path: str, **headers):
        request = urllib.request.Request(self.base + path, headers=headers)
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read()

    def post(self, path: str, data: dict):
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=60) as response:
            return response.geturl(), response.read()


@pytest.fixture
def web_server(live_worker, tmp_path):
    env = dict(
        live_worker.environment, EXPORT_INLINE_MAX_ROWS="0", LOG_LEVEL="INFO", OTP_REQUIRED="0"
    )
    port = free_port()
    plain_config = tmp_path / "plain_gunicorn.py"  # gunicorn's own logger, unmasked
    plain_config.write_text("")
    access, errors = tmp_path / "access.log", tmp_path / "server.log"
    with errors.open("ab") as err:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xixin_dibao.wsgi",
                "-c",
                str(plain_config),
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "1",
                "--access-logfile",
                str(access),
                "--access-logformat",
                '%(h)s "%(r)s" %(s)s %(b)s "%(f)s"',
            ],
            env=env,
            stdout=err,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("gunicorn 60 秒内未就绪")
    yield base, [access, errors, live_worker.log]
    proc.terminate()
    proc.wait(timeout=15)


@pytest.mark.celery_worker
def test_a_full_workflow_leaves_no_id_number_in_any_log(web_server):
    from xixin_dibao.celery import app

    base, logs = web_server
    village = VillageFactory(code="500240214201", name="保合村")
    household = HouseholdFactory(village=village, code="500240214201-0001", head_name="谭明")
    number = MemberFactory(household=household, name="谭明", relation="head").id_number
    office = UserFactory(username="wangjing", role="office")
    office.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))

    browser = Browser(base)
    browser.get("/login/")
    browser.post("/login/", {"username": "wangjing", "password": PASSWORD})
    # Search by ID number: the list shows the household, the URL carries only a random key.
    url, page = browser.post("/households/", {"q": number})
    assert "谭明" in page.decode() and number not in url and "s=" in url
    key = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["s"][0]
    # Reveal, check the number, export through the worker and download the result.
    _, page = browser.get(f"/households/{household.pk}/?reveal=1")
    assert number in page.decode()
    browser.post("/households/check-id/", {"id_number": number})
    job_url, _ = browser.get(f"/households/export/?s={key}&reveal=1")
    assert "/jobs/" in job_url
    path = urllib.parse.urlparse(job_url).path
    for _ in range(120):
        _, body = browser.get(path, Accept="application/json")
        if json.loads(body)["status"] in ("done", "failed"):
            break
        time.sleep(0.5)
    assert json.loads(body)["status"] == "done", body
    browser.get(path + "download/")
    # A failed login typed with the ID number, and a worker message that carries it.
    Browser(base).get("/login/")
    other = Browser(base)
    other.get("/login/")
    other.post("/login/", {"username": number, "password": "Wrong#pass1"})
    app.send_task("xixin_dibao.tasks.no_such_task", args=[number], queue="celery")
    time.sleep(3)

    text = {p.name: p.read_text(errors="replace") for p in logs}
    assert f"s={key}" in text["access.log"]  # the access log was written
    assert number[:6] + "********" + number[-4:] in text[logs[2].name]  # worker logged, masked
    for name, content in text.items():
        assert not ID18.search(content), (name, ID18.findall(content)[:3])
        assert not ID15.search(content), (name, ID15.findall(content)[:3])
