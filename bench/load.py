"""A small threaded load generator for gunicorn on loopback (never any other address).

Each virtual user is one thread with one keep-alive connection (http.client). It logs in once
through the login form (CSRF token from the form and the cookie), warms up once on every page,
waits for the others, then requests its pages in a shuffled order until it has made its share
of requests or the time is up, pausing a random "reading time" between pages.
"""

from __future__ import annotations

import http.client
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

from .measure import p95

LOOPBACK = ("127.0.0.1", "::1", "localhost")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Sample:
    page: str
    seconds: float
    status: int


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def p95_ms(self, page: str) -> float | None:
        values = [s.seconds for s in self.samples if s.page == page and s.status == 200]
        value = p95(values)
        return None if value is None else value * 1000

    def median_ms(self, page: str) -> float | None:
        values = [s.seconds for s in self.samples if s.page == page and s.status == 200]
        return statistics.median(values) * 1000 if values else None

    def count(self, page: str) -> int:
        return sum(1 for s in self.samples if s.page == page)

    def failures(self, page: str) -> int:
        return sum(1 for s in self.samples if s.page == page and s.status != 200)


class Client:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, host: str, port: int):
        if host not in LOOPBACK:
            raise ValueError("负载测试只允许访问本机回环地址")
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=120)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{self.host}:{self.port}/login/"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (TimeoutError, http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed the keep-alive connection: open a new one
                if attempt == 2:
                    raise
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return response.status, text

    def login(self, username: str, password: str) -> None:
        status, text = self.request("GET", "/login/")
        match = CSRF_INPUT.search(text)
        if status != 200 or not match:
            raise RuntimeError(f"登录页打不开（HTTP {status}）")
        form = {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
        status, _ = self.request("POST", "/login/", urllib.parse.urlencode(form))
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"用户 {username} 登录失败（HTTP {status}）")

    def close(self) -> None:
        self.conn.close()


def run_load(
    *,
    port: int,
    users: list[tuple[str, list[tuple[str, list[str]]]]],
    password: str,
    requests_per_user: int,
    max_seconds: float,
    think: float,
    seed: int = 1,
) -> LoadResult:
    """Run one thread per (username, pages) and collect the timings of the measured phase.

    `pages` is a list of (page key, paths): each round a user requests every page once, in a
    shuffled order, each time one of its paths at random (e.g. a different household).
    """
    result = LoadResult()
    lock = threading.Lock()
    deadline = [0.0]

    def start_clock():  # runs once, before any thread passes the barrier
        deadline[0] = time.monotonic() + max_seconds

    ready = threading.Barrier(len(users) + 1, action=start_clock)

    def user_thread(index: int, username: str, pages: list[tuple[str, list[str]]]):
        rng = random.Random(seed * 1000 + index)
        client = Client("127.0.0.1", port)
        try:
            client.login(username, password)
            for _key, paths in pages:
                client.request("GET", paths[0])  # warm-up, not measured
        except Exception as exc:  # report, and let the others run
            with lock:
                result.errors.append(f"{username}: {exc}")
            ready.wait()
            client.close()
            return
        ready.wait()
        order = pages[:]
        made = 0
        while made < requests_per_user and time.monotonic() < deadline[0]:
            rng.shuffle(order)
            for key, paths in order:
                path = rng.choice(paths)
                if made >= requests_per_user or time.monotonic() >= deadline[0]:
                    break
                started = time.perf_counter()
                try:
                    status, _ = client.request("GET", path)
                except Exception as exc:
                    status = 0
                    with lock:
                        result.errors.append(f"{username} {path}: {exc}")
                elapsed = time.perf_counter() - started
                with lock:
                    result.samples.append(Sample(key, elapsed, status))
                made += 1
                if think:
                    time.sleep(rng.uniform(0.5, 1.5) * think)
        client.close()

    threads = [
        threading.Thread(target=user_thread, args=(i, name, pages), daemon=True)
        for i, (name, pages) in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join(max_seconds + 180)
    result.seconds = time.monotonic() - started
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn serving the app on 127.0.0.1 with the bench database (a subprocess)."""

    def __init__(self, *, env: dict, workers: int, threads: int):
        self.port = free_port()
        self.args = [
            sys.executable,
            "-m",
            "gunicorn",
            "xixin_dibao.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        self.env = env
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn 启动失败")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/login/")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.5)
        self.__exit__()
        raise RuntimeError("gunicorn 90 秒内未就绪")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
