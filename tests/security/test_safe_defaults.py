"""Issue 19.11: safe defaults for a township PC."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import HouseholdFactory, UserFactory

ROOT = Path(settings.BASE_DIR)


def make_dry_run(*args) -> str:
    return subprocess.run(
        ["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_make_run_binds_to_this_pc_unless_asked_for_the_lan():
    plain = make_dry_run()
    assert "runserver --insecure 127.0.0.1:8000" in plain and "0.0.0.0" not in plain
    lan = make_dry_run("HOST=0.0.0.0")
    assert "runserver --insecure 0.0.0.0:8000" in lan and "警告：平台将在" in lan


def test_each_install_makes_its_own_secret_key(tmp_path):
    from xixin_dibao.settings import install_secret_key

    path = tmp_path / "var" / "secret_key"
    key = install_secret_key(path)
    assert len(key) >= 50 and install_secret_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert install_secret_key(tmp_path / "other" / "secret_key") != key
    assert not settings.SECRET_KEY.startswith("dev-only")
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/secret_key"], cwd=ROOT)
    assert ignored.returncode == 0  # never committed


@pytest.mark.django_db
def test_pages_with_personal_data_are_not_stored_by_caches(client_for, client, village_a):
    household = HouseholdFactory(village=village_a)
    office = client_for(UserFactory(role="office"))
    for url in (household.get_absolute_url(), reverse("households:list"), reverse("home")):
        assert "no-store" in office.get(url)["Cache-Control"], url
    assert "no-store" in client.get(reverse("login"))["Cache-Control"]


@pytest.mark.parametrize(("value", "expected"), [(None, "False"), ("1", "True")])
def test_hsts_preload_is_a_setting_off_by_default(value, expected):
    env = dict(os.environ, SECURE_PRODUCTION="1", SECRET_KEY="k" * 60, DJANGO_SETTINGS_MODULE="")
    env["DJANGO_SETTINGS_MODULE"] = "xixin_dibao.settings"
    env.pop("SECURE_HSTS_PRELOAD", None)
    if value:
        env["SECURE_HSTS_PRELOAD"] = value
    code = "import django;django.setup();from django.conf import settings as s;"
    code += "print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_SECONDS > 0)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert out.stdout.split() == [expected, "True"], out.stderr[-500:]
