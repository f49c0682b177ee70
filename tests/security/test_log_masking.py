import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import HouseholdFactory, MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_log_lines_mask_id_numbers_everywhere(no_id_numbers_in_logs, client_for, village_a):
    """Messages, arguments, failed logins and tracebacks all pass through the masking."""
    member = MemberFactory(household=HouseholdFactory(village=village_a))
    number = member.id_number
    log = logging.getLogger("households")
    log.warning("核对身份证号 %s", number)
    log.warning(f"直接拼接 {number}")
    try:
        raise ValueError(f"无效的号码 {number}")
    except ValueError:
        log.exception("处理失败")
    # A failed login with an ID number typed as the username (django-axes logs it).
    Client().post(reverse("login"), {"username": number, "password": "Wrong#pass1"})
    # The office reveals the number on the household page: recorded, but never logged in full.
    office = UserFactory(role="office")
    from django.contrib.auth.models import Permission

    office.user_permissions.add(Permission.objects.get(codename="reveal_id_number"))
    client_for(office).get(member.household.get_absolute_url() + "?reveal=1")

    output = no_id_numbers_in_logs.getvalue()
    assert output.count(number[:6] + "********" + number[-4:]) >= 3
    assert "Traceback" in output and "ValueError" in output
    # The autouse check fails this test if any line still held the full number.
