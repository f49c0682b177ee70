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


JUNK = {
    "village": "abc",
    "group": "1'",
    "priority": "x",
    "status": "<b>",
    "state": "nonsense",
    "source": "zz",
    "outcome": "zz",
    "flag": "zz",
    "sort": "-nope",
    "page": "-1",
    "key": "../../etc",
    "q": "\x00",
    "s": "missing",
    "dibao_standard_annual": "abc",
    "overdue": "abc",
}


def _objectless_get_urls():
    from tests.security.test_access_matrix import app_url_names

    return sorted(name for name, has_args in app_url_names() if not has_args)


@pytest.mark.parametrize("name", _objectless_get_urls())
def test_malformed_parameters_never_answer_500(client_for, campaign, village_a, name):
    """Issue 19.12: an edited URL gets a page, a 4xx or a redirect, never a server error."""
    client = client_for(UserFactory(role="office", is_superuser=True))
    client.raise_request_exception = False
    url = reverse(name)
    huge = "99999999999999999999"
    for params in (JUNK, {"village": "abc"}, {"village": huge, "campaign": huge, "key": "cases"}):
        assert client.get(url, params).status_code < 500, (url, params)
    posted = client.post(url, {"village": "abc", "version": "x", "id_number": "1" * 40})
    assert posted.status_code < 500, url


def test_a_malformed_village_on_the_roster_answers_400(client_for, office_user, village_a):
    url = reverse("archives:roster", args=["dibao"])
    for value in ("abc", "99999999999999999999", "-1"):
        assert client_for(office_user).get(url, {"village": value}).status_code == 400


def _fake_xlsx_files():
    import io
    import zipfile

    garbage = io.BytesIO()
    with zipfile.ZipFile(garbage, "w") as z:
        z.writestr("[Content_Types].xml", "<not xml")
        z.writestr("xl/workbook.xml", "garbage")
        z.writestr("xl/worksheets/sheet1.xml", "garbage")
    return {"random": b"\x00\x01not a workbook" * 50, "broken-zip": garbage.getvalue()}


@pytest.mark.parametrize("kind", ["random", "broken-zip"])
@pytest.mark.parametrize("name", ["households:import", "verification:data_match_import"])
def test_a_fake_xlsx_answers_400_with_a_chinese_message(
    client_for, campaign, village_a, name, kind, today_in_campaign
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(UserFactory(role="office"))
    client.raise_request_exception = False
    data = _fake_xlsx_files()[kind]
    upload = SimpleUploadedFile("台账.xlsx", data, content_type="application/octet-stream")
    response = client.post(reverse(name), {"file": upload})
    assert response.status_code == 400, (name, kind, response.status_code)
    assert "Excel" in response.content.decode()


@pytest.fixture
def today_in_campaign(campaign, settings):
    settings.APP_TODAY = campaign.outreach_deadline


def test_a_full_disk_during_an_upload_gives_a_chinese_error_and_no_file(
    client_for, settings, full_disk
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.households.factories import household_rows, xlsx_bytes

    settings.IMPORT_INLINE_MAX_BYTES = 10  # go the background-job way, which stores the file
    data = xlsx_bytes({"家庭成员": household_rows(3)})
    response = client_for(UserFactory(role="office")).post(
        reverse("households:import"), {"file": SimpleUploadedFile("a.xlsx", data)}
    )
    assert response.status_code == 507
    assert "磁盘空间不足，文件未保存" in response.content.decode()
    folder = settings.MEDIA_ROOT / "imports"
    assert not folder.exists() or not any(folder.iterdir())


def test_a_full_disk_during_an_export_job_fails_it_in_chinese_without_a_file(
    client_for, settings, village_a, full_disk, django_capture_on_commit_callbacks
):
    from tests.factories import HouseholdFactory, MemberFactory
    from xixin_dibao.models import Job

    settings.EXPORT_INLINE_MAX_ROWS = 0
    for _ in range(30):
        MemberFactory(household=HouseholdFactory(village=village_a), relation="head")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(UserFactory(role="office")).get(reverse("households:export"))
    job = Job.objects.get()
    assert job.status == "failed" and "磁盘空间不足" in job.message and not job.result_file
    folder = settings.MEDIA_ROOT / "jobs" / str(job.pk)
    assert not any(folder.iterdir())
