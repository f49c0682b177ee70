"""Issue 20.1: nothing typed is lost when the session expires; activity keeps it alive."""

import json
import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from households.models import Household
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Xixin#2022pass"


def logged_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def expire(client, minutes=31):
    client.get(reverse("households:list"))  # a page seen: the idle clock starts
    session = client.session
    session["_last_seen"] = session["_last_seen"] - minutes * 60
    session.save()


def restored(body: str) -> dict | None:
    match = re.search(r'<script id="restored-draft" type="application/json">(.*?)</script>', body)
    return json.loads(match.group(1)) if match else None


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=30)
def test_form_posted_after_expiry_is_kept_and_given_back_after_login(officer_a):
    client = logged_in(officer_a)
    url = reverse("households:create")
    client.get(url)
    expire(client)
    posted = {"head_name": "冉光明", "address": "保合村3组", "members-TOTAL_FORMS": "2"}
    response = client.post(url, posted, follow=True)
    assert reverse("login") in response.redirect_chain[0][0]
    assert "内容没有丢失" in response.content.decode()
    assert not Household.objects.exists()
    response = client.post(
        reverse("login"),
        {"username": officer_a.username, "password": PASSWORD, "next": url},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url
    draft = restored(response.content.decode())
    assert draft["head_name"] == ["冉光明"] and draft["members-TOTAL_FORMS"] == ["2"]
    assert "csrfmiddlewaretoken" not in draft
    # Given back once: reloading the page does not fill it in again.
    assert restored(client.get(url).content.decode()) is None


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=30)
def test_draft_is_not_given_to_another_user_logging_in_on_the_same_browser(officer_a, village_a):
    client = logged_in(officer_a)
    url = reverse("households:create")
    expire(client)
    client.post(url, {"head_name": "冉光明"})
    other = UserFactory(role="village_officer", village=village_a)
    client.post(reverse("login"), {"username": other.username, "password": PASSWORD})
    assert restored(client.get(url).content.decode()) is None


@override_settings(SESSION_IDLE_TIMEOUT_MINUTES=30)
def test_activity_ping_extends_the_session_but_not_after_expiry(officer_a):
    client = logged_in(officer_a)
    expire(client, minutes=20)
    assert client.post(reverse("session_ping")).status_code == 200
    session = client.session  # 20 minutes after the ping, 40 after the last page: still alive
    session["_last_seen"] = session["_last_seen"] - 20 * 60
    session.save()
    assert client.get(reverse("households:create")).status_code == 200
    expire(client, minutes=31)
    assert client.post(reverse("session_ping")).status_code == 401
    assert client.get(reverse("households:list")).status_code == 302


def test_pages_carry_the_idle_timeout_for_the_warning(client_for, officer_a, settings):
    settings.SESSION_IDLE_TIMEOUT_MINUTES = 30
    body = client_for(officer_a).get(reverse("households:list")).content.decode()
    assert 'data-session-idle="1800"' in body and 'id="session-warning"' in body


def test_logout_says_so(officer_a):
    client = logged_in(officer_a)
    response = client.post(reverse("logout"), follow=True)
    assert "您已安全退出" in response.content.decode()
