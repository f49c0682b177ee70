import re
from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Xixin#2022pass"


def login(client, username, password, ip="10.1.1.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def test_login_succeeds_and_is_recorded():
    user = UserFactory(username="wj")
    response = login(Client(), "wj", PASSWORD)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(kind="login", actor=user).exists()


def test_unknown_user_and_wrong_password_get_the_same_answer():
    UserFactory(username="wj")
    wrong = login(Client(), "wj", "Wrong#pass1")
    unknown = login(Client(), "nobody", "Wrong#pass1")
    assert wrong.status_code == unknown.status_code == 200
    error = re.compile(r'<div class="form-error" role="alert">(.*?)</div>', re.S)
    assert error.search(wrong.content.decode()).group(1) == error.search(
        unknown.content.decode()
    ).group(1)
    assert AuditEvent.objects.filter(kind="login_failed").count() == 2


def test_five_failures_lock_username_and_ip(settings):
    settings.LOGIN_DELAY_BASE_SECONDS = 0  # the progressive delay has its own test
    UserFactory(username="wj")
    client = Client()
    for _ in range(5):
        login(client, "wj", "Wrong#pass1")
    locked = login(client, "wj", PASSWORD)
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    assert AuditEvent.objects.filter(kind="lockout").exists()
    # Same user from another address is not locked (lockout is per username + IP).
    assert login(Client(), "wj", PASSWORD, ip="10.9.9.9").status_code == 302


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Qz7!wpLx", True),
        ("abcdefgh", False),
        ("abcdefg1", False),
        ("Hq8vRt2m", True),
        ("Abc1!", False),
        ("Password123", False),
    ],
)
def test_password_policy(password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_expired_password_forces_change():
    user = UserFactory(username="old")
    user.password_changed_at = timezone.now() - timedelta(days=91)
    user.save()
    client = Client()
    client.force_login(user)
    response = client.get(reverse("households:list"))
    assert response.status_code == 302 and response.url == reverse("password_change")


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=30)
def test_idle_session_times_out():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.get(reverse("households:list")).status_code == 200
    session = client.session
    session["_last_seen"] = session["_last_seen"] - 31 * 60
    session.save()
    response = client.get(reverse("households:list"))
    assert response.status_code == 302 and reverse("login") in response.url
    assert AuditEvent.objects.filter(kind="session_expired", actor=user).exists()


@override_settings(SESSION_ABSOLUTE_HOURS=12)
def test_absolute_session_lifetime():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    client.get(reverse("households:list"))
    session = client.session
    session["_started_at"] = session["_started_at"] - 13 * 3600
    session.save()
    response = client.get(reverse("households:list"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_no_accounts_exist_after_migrate():
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.count() == 0


def test_load_demo_refused_in_production():
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with override_settings(SECURE_PRODUCTION=True), pytest.raises(CommandError):
        call_command("load_demo")


@pytest.fixture
def clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def proxied(client, username, password, *, client_ip, proxy="127.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=client_ip,
    )


def test_behind_the_trusted_proxy_an_attacker_cannot_lock_out_her_device(settings, clean_cache):
    """Issue 19.5: five failures from another machine behind nginx leave 王静's own PC alone."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.LOGIN_DELAY_BASE_SECONDS = 0
    UserFactory(username="wangjing")
    attacker = Client()
    for _ in range(5):
        proxied(attacker, "wangjing", "Wrong#pass1", client_ip="192.168.1.66")
    locked = proxied(attacker, "wangjing", PASSWORD, client_ip="192.168.1.66")
    assert locked.status_code == 429
    own = proxied(Client(), "wangjing", PASSWORD, client_ip="192.168.1.10")
    assert own.status_code == 302
    lockouts = AuditEvent.objects.filter(kind="lockout").values_list("ip_address", flat=True)
    assert set(lockouts) == {"192.168.1.66"}  # the audit holds the real client address


def test_a_forwarded_header_from_an_untrusted_address_is_ignored(settings):
    from django.test import RequestFactory

    from xixin_dibao.login_guard import client_ip

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    spoofed = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoofed) == "10.0.0.9"
    chain = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.168.1.10"
    )
    assert client_ip(chain) == "192.168.1.10"  # the hop nginx saw, not what the client wrote


def test_the_locked_out_page_says_for_how_long(settings, clean_cache):
    settings.LOGIN_DELAY_BASE_SECONDS = 0
    settings.LOGIN_COOLOFF_MINUTES = 15
    UserFactory(username="wj")
    client = Client()
    for _ in range(5):
        login(client, "wj", "Wrong#pass1")
    page = login(client, "wj", PASSWORD).content.decode()
    assert "锁定 15 分钟" in page and "约 15 分钟后" in page


def test_failures_slow_down_progressively(settings, clean_cache, monkeypatch):
    import time as real_time

    from xixin_dibao import login_guard

    settings.LOGIN_DELAY_BASE_SECONDS = 1
    UserFactory(username="wj")
    now = [real_time.time()]
    monkeypatch.setattr(login_guard.time, "time", lambda: now[0])
    client = Client()
    assert login(client, "wj", "Wrong#pass1").status_code == 200
    assert login(client, "wj", "Wrong#pass1").status_code == 200
    waited = login(client, "wj", PASSWORD)  # even the right password waits its turn
    assert waited.status_code == 429 and "请 1 秒后再试" in waited.content.decode()
    now[0] += 1
    assert login(client, "wj", "Wrong#pass1").status_code == 200  # third failure
    now[0] += 1
    assert "请 1 秒后再试" in login(client, "wj", PASSWORD).content.decode()  # 2 s now
    now[0] += 1
    assert login(client, "wj", PASSWORD).status_code == 302
    # Attempts counted while waiting were not failures: the lockout did not come closer.
    assert AuditEvent.objects.filter(kind="login_failed").count() == 3
