"""Edited list URLs answer a page, never a server error (issue 17: /verification/?village=abc)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

JUNK = [
    {"village": "abc"},
    {"village": "-1", "page": "-5"},
    {"village": "9" * 30, "state": "x" * 500, "source": "%00"},
    {"q": "张\x00三", "page": "abc", "sort": "nonsense"},
    {"status": "nope", "group": "x", "priority": "99999999999999999999"},
]
LISTS = ["households:list", "verification:case_list", "screening:queue"]


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("params", JUNK)
def test_junk_parameters_never_crash_a_list(client_for, office_user, campaign, name, params):
    response = client_for(office_user).get(reverse(name), params)
    assert response.status_code in (200, 400), (name, params, response.status_code)
