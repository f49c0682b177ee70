"""Issue 19.4: a TOTP second factor for 民政办 and administrators, switched by OTP_REQUIRED."""

import re
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import OfficerFactory, UserFactory
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "Xixin#2022pass"


@pytest.fixture(autouse=True)
def otp_on(settings):
    settings.OTP_REQUIRED = True


def current_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():06d}"


def signed_in(username) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_office_user_enrols_with_a_server_drawn_qr_code_then_gets_in():
    user = UserFactory(username="wj", role="office")
    client = signed_in("wj")
    blocked = client.get(reverse("households:list"))
    assert blocked.status_code == 302 and blocked.url.startswith(reverse("otp_setup"))
    page = client.get(blocked.url).content.decode()
    assert "绑定动态口令" in page and "<svg" in page and "<path" in page
    assert not re.search(r"(src|href)=\"https?://", page)  # nothing from outside (no CDN)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.split('class="otp-secret">')[1].split("<")[0].replace(" ", "")
    assert len(secret) == 32
    wrong = client.post(reverse("otp_setup"), {"token": "000000", "next": "/households/"})
    assert "动态口令不正确" in wrong.content.decode()
    at_once = client.post(reverse("otp_setup"), {"token": current_code(device)})
    assert "秒后再试" in at_once.content.decode()  # back-off after a wrong code
    time.sleep(1.2)
    done = client.post(
        reverse("otp_setup"), {"token": current_code(device), "next": "/households/"}
    )
    assert done.status_code == 302 and done.url == "/households/"
    assert client.get(reverse("households:list")).status_code == 200
    assert TOTPDevice.objects.get(user=user).confirmed
    assert AuditEvent.objects.filter(kind="otp_enroll", actor=user).exists()
    assert AuditEvent.objects.filter(kind="otp_failed", success=False).exists()


def test_enrolled_user_must_type_the_code_after_the_password():
    user = UserFactory(username="tl", role="office")
    device = TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    client = signed_in("tl")
    blocked = client.get(reverse("households:list"))
    assert blocked.url.startswith(reverse("otp_verify"))
    bad = client.post(reverse("otp_verify"), {"token": "12ab56"})
    assert "6 位数字" in bad.content.decode()
    assert client.get(reverse("households:list")).status_code == 302
    client.post(reverse("otp_verify"), {"token": current_code(device)})
    assert client.get(reverse("households:list")).status_code == 200


def test_reused_code_is_refused():
    """A code accepted once cannot be replayed in another session."""
    user = UserFactory(username="replay", role="office")
    device = TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    code = current_code(device)
    first = signed_in("replay")
    first.post(reverse("otp_verify"), {"token": code})
    assert first.get(reverse("households:list")).status_code == 200
    second = signed_in("replay")
    second.post(reverse("otp_verify"), {"token": code})
    assert second.get(reverse("households:list")).status_code == 302


@pytest.mark.parametrize("role", ["admin", "security_admin", "audit_admin"])
def test_administrators_need_the_second_factor_for_the_admin_site(role):
    UserFactory(username="adm", role=role, is_staff=True)
    response = signed_in("adm").get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("otp_setup") in response.url


def test_village_officers_sign_in_with_a_password_only():
    OfficerFactory(username="cun")
    assert signed_in("cun").get(reverse("households:list")).status_code == 200


def test_switched_off_the_demo_says_so_on_every_page(settings):
    settings.OTP_REQUIRED = False
    UserFactory(username="wj", role="office")
    page = signed_in("wj").get(reverse("households:list"))
    assert page.status_code == 200
    assert "动态口令（双因素认证）已关闭" in page.content.decode()
    settings.OTP_REQUIRED = True
    login_page = Client().get(reverse("login")).content.decode()
    assert "已关闭" not in login_page


def test_production_default_is_on_and_make_run_turns_it_off():
    from pathlib import Path

    from django.conf import settings as django_settings

    source = (Path(django_settings.BASE_DIR) / "xixin_dibao" / "settings.py").read_text()
    assert 'OTP_REQUIRED = envbool("OTP_REQUIRED", "True")' in source
    makefile = (Path(django_settings.BASE_DIR) / "Makefile").read_text()
    assert "OTP_REQUIRED ?= 0" in makefile


def test_login_help_prints_the_demo_notice(settings, capsys):
    settings.OTP_REQUIRED = False
    call_command("login_help")
    assert "动态口令（双因素认证）已关闭" in capsys.readouterr().out


def test_security_admin_resets_a_device_but_never_sees_its_secret(client_for, settings):
    settings.OTP_REQUIRED = False
    secadmin = UserFactory(username="sec", role="security_admin", is_staff=True)
    user = UserFactory(username="lost_phone", role="office")
    device = TOTPDevice.objects.create(user=user, name="手机", confirmed=True)
    client = client_for(secadmin)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200 and device.key not in page.content.decode()
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    assert config.status_code == 403
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert AuditEvent.objects.filter(kind="admin_edit", actor=secadmin).exists()
