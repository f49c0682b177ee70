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


def test_five_failures_lock_username_and_ip():
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
