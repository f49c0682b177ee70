"""The archive home: per-village counts and the township's totals."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archives.models import Dossier
from tests.factories import HouseholdFactory, VillageFactory

pytestmark = pytest.mark.django_db


def dossier_for(household, version=1):
    return Dossier.objects.create(
        household=household,
        version=version,
        checksum="0" * 64,
        file=f"dossiers/{household.pk}.pdf",
        size=1,
        page_count=1,
        content_signature="x",
    )


def row_counts(html: str, label: str) -> tuple[str, str]:
    row = re.search(rf"<tr>\s*<td>(?:<strong>)?{label}(?:</strong>)?</td>(.*?)</tr>", html, re.S)
    assert row, label
    cells = re.findall(r'<td class="num">(?:<strong>)?(.*?)(?:</strong>)?</td>', row.group(1))
    return cells[0], cells[1]


def test_township_row_shows_totals(client_for, office_user, village_a, village_b):
    office_user.township = village_a.township
    office_user.save(update_fields=["township"])
    first = [HouseholdFactory(village=village_a) for _ in range(3)]
    second = [HouseholdFactory(village=village_b) for _ in range(2)]
    dossier_for(first[0])
    dossier_for(first[0], version=2)  # a household with two versions counts once
    dossier_for(second[1])
    html = client_for(office_user).get(reverse("archives:index")).content.decode()
    assert row_counts(html, "保合村") == ("3", "1")
    assert row_counts(html, "万寿村") == ("2", "1")
    assert row_counts(html, "全乡") == ("5", "2")


def test_index_queries_do_not_grow_with_villages(client_for, office_user, village_a):
    office_user.township = village_a.township
    office_user.save(update_fields=["township"])
    client = client_for(office_user)
    HouseholdFactory(village=village_a)
    client.get(reverse("archives:index"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("archives:index"))
    for i in range(6):
        village = VillageFactory(name=f"新村{i}", township=village_a.township)
        dossier_for(HouseholdFactory(village=village))
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("archives:index")).content.decode()
    assert len(many) == len(few)
    assert row_counts(html, "全乡") == ("7", "6")
