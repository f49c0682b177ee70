"""The pinned demo clock dates every record and export: no real-year date beside 2022-10-25."""

from datetime import date
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from households.models import Household
from screening import services
from screening.models import ScreeningResult
from tests.factories import HouseholdFactory
from tests.screening.conftest import TODAY
from tests.screening.factories import family
from xixin_dibao import clock
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def test_now_moves_onto_the_pinned_day_and_field_needs_no_migration():
    assert clock.now().date() == TODAY
    name, path, _, kwargs = Household._meta.get_field("created_at").deconstruct()
    assert path == "django.db.models.DateTimeField" and kwargs["auto_now_add"] is True


def test_unpinned_clock_is_the_real_one(settings):
    settings.APP_TODAY = None
    assert abs((clock.now() - timezone.now()).total_seconds()) < 5


def test_records_are_stamped_with_the_pinned_day(campaign, village_a, office_user):
    household = family(village_a, income="1200")
    services.screen_household(household_id=household.pk, actor=office_user)
    result = ScreeningResult.objects.get(household=household, is_current=True)
    household.refresh_from_db()
    stamps = {
        "研判于": result.created_at,
        "登记时间": household.created_at,
        "更新时间": household.updated_at,
    }
    stamps |= {f"审计{e.pk}": e.at for e in AuditEvent.objects.all()}
    stamps |= {f"任务{j.pk}": j.created_at for j in Job.objects.all()}
    local = {k: timezone.localtime(v).date() for k, v in stamps.items()}
    assert local == {k: TODAY for k in stamps}
    assert timezone.localtime(HouseholdFactory(village=village_a).created_at).date() == TODAY


def test_household_page_and_export_name_use_the_pinned_day(
    client_for, campaign, village_a, office_user
):
    household = family(village_a, income="1200")
    services.screen_household(household_id=household.pk, actor=office_user)
    client = client_for(office_user)
    page = client.get(household.get_absolute_url()).content.decode()
    assert f"研判于 {TODAY:%Y-%m-%d}" in page
    real_year = str(date.today().year)
    assert real_year == "2022" or f"{real_year}-" not in page
    response = client.get(reverse("screening:export"))
    disposition = unquote(response["Content-Disposition"])
    assert f"{TODAY:%Y%m%d}" in disposition
