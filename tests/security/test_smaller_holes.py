"""Issue 19.12: ID-check rate limit and audit, password history, bad input answers 400."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, make_id_number
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Xixin#2022pass"


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def change(client, old, new):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_a_password_cannot_be_changed_to_any_of_its_last_five(fast_hashing):
    user = UserFactory(username="wj")
    client = Client()
    client.force_login(user)
    assert change(client, PASSWORD, PASSWORD).status_code == 200  # the current one
    passwords = [f"Qz7!wpLx{n}" for n in range(1, 6)]
    current = PASSWORD
    for new in passwords:
        assert change(client, current, new).status_code == 302, new
        current = new
    for reused in passwords:
        response = change(client, current, reused)
        assert response.status_code == 200
        assert "不能与最近 5 次使用过的密码相同" in response.content.decode()
    # The sixth back has left the history and may be used again.
    assert change(client, current, PASSWORD).status_code == 302
    assert user.password_history.count() == 5


def test_the_id_check_is_audited_and_rate_limited_per_user(client_for, settings):
    settings.ID_CHECK_PER_MINUTE = 5
    from django.core.cache import cache

    cache.clear()
    first, second = UserFactory(role="office"), UserFactory(role="office")
    client = client_for(first)
    url = reverse("households:check_id")
    number = make_id_number()
    answers = [client.post(url, {"id_number": number}).status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2
    throttled = client.post(url, {"id_number": number})
    assert "一分钟后再试" in throttled.json()["message"]
    checks = AuditEvent.objects.filter(actor=first, kind="reveal", summary__contains="查重")
    assert checks.count() == 5 and number not in checks.first().summary
    assert AuditEvent.objects.filter(actor=first, kind="denied").count() == 3
    # The limit is per user: another user is not held up.
    assert client_for(second).post(url, {"id_number": number}).status_code == 200
