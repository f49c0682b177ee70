from datetime import date

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from tests.factories import HouseholdFactory
from verification.models import Case
from xixin_dibao.models import DashboardSnapshot

pytestmark = pytest.mark.django_db


@override_settings(APP_TODAY=date(2022, 11, 22))
def test_embedded_scheduler_runs_deadline_and_dashboard_jobs(campaign, village_a):
    """`make run` has no Celery beat: run_scheduler runs the same periodic jobs in-process."""
    household = HouseholdFactory(village=village_a)
    case = Case.objects.create(
        campaign=campaign, household=household, state="pending_verification", source="new_candidate"
    )
    call_command("run_scheduler", once=True)
    case.refresh_from_db()
    assert case.overdue  # the verification cutoff (11-21) has passed
    assert DashboardSnapshot.objects.filter(campaign=campaign).exists()


def test_navigation_marks_only_the_current_section(client_for, office_user, campaign):
    body = client_for(office_user).get(reverse("verification:meeting_list")).content.decode()
    current = [line for line in body.splitlines() if 'aria-current="page"' in line]
    assert len(current) == 1 and "审核会议" in current[0]
