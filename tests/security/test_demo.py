from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings

from households.models import Household
from screening.models import ScreeningResult
from verification.models import Case, HomeVisit
from xixin_dibao.models import DashboardSnapshot, User


@pytest.mark.django_db
@override_settings(APP_TODAY=date(2022, 11, 10))
def test_load_demo_builds_a_township_in_mid_campaign():
    call_command("load_demo")
    assert 60 <= Household.objects.count() <= 120
    # Outreach lags in 五坪村: some households there have no verdict yet.
    unscreened = Household.objects.exclude(
        pk__in=ScreeningResult.objects.filter(is_current=True).values("household")
    )
    assert unscreened.exists() and set(unscreened.values_list("village__name", flat=True)) == {
        "五坪村"
    }
    assert Case.objects.filter(state="pending_review").count() == 3
    assert Case.objects.filter(state="notice_delivered").count() == 1
    assert HomeVisit.objects.count() == 6
    assert DashboardSnapshot.objects.exists()
    assert User.objects.get(username="wangjing").can_reveal_ids
    assert not User.objects.get(username="baohe").can_reveal_ids
    # Running it again changes nothing (make run is re-runnable).
    call_command("load_demo")
    assert HomeVisit.objects.count() == 6
