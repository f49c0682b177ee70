"""What starts a screening: saving a household, the Celery tasks, the management command."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from households.models import Campaign, Household
from screening import tasks
from screening.models import ScreeningResult, ScreeningRun
from tests.factories import CampaignFactory, TownshipFactory, VillageFactory, make_id_number
from tests.screening.factories import family
from xixin_dibao.models import AuditEvent, Job

pytestmark = pytest.mark.django_db


def household_post(village, *, name, income, version=None):
    """The one-page entry form with one member and one wage income."""
    data = {
        "village": village.pk,
        "group": "",
        "code": "",
        "head_name": name,
        "address": "洗新乡",
        "hukou_type": "rural",
        "phone": "",
        "referral_source": "cadre_survey",
        "petition_count": "0",
        "monitoring_type": "",
        "hardship_note": "",
        "group_evidence": "",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "incomes-TOTAL_FORMS": "1",
        "incomes-INITIAL_FORMS": "0",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
        "expenses-TOTAL_FORMS": "0",
        "expenses-INITIAL_FORMS": "0",
        "members-0-name": name,
        "members-0-id_number": make_id_number(date(1975, 3, 9)),
        "members-0-relation": "head",
        "members-0-work_capacity": "full",
        "members-0-chongqing_hukou": "on",
        "members-0-months_without_income": "0",
        "members-0-has_able_supporter": "on",
        "incomes-0-member_name": name,
        "incomes-0-kind": "wage",
        "incomes-0-amount": income,
        "incomes-0-period_months": "12",
        "incomes-0-source": "declared",
    }
    if version is not None:
        data["version"] = version
    return data


def test_saving_a_household_in_the_entry_form_screens_it(
    client_for, officer_a, campaign, village_a, django_capture_on_commit_callbacks
):
    client = client_for(officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("households:create"), household_post(village_a, name="张三", income="5800")
        )
    assert response.status_code == 302
    household = Household.objects.get(head_name="张三")
    result = ScreeningResult.objects.get(household=household, is_current=True)
    assert result.outcome == "dibao" and result.per_capita_income == Decimal("4060.00")
    assert not AuditEvent.objects.filter(model="screening.ScreeningResult").exists()

    data = household_post(village_a, name="张三", income="20000", version=household.version)
    head, income = household.members.get(), household.incomes.get()
    data.update(
        {
            "members-INITIAL_FORMS": "1",
            "members-0-id": head.pk,
            "members-0-id_number": head.id_number,
            "incomes-INITIAL_FORMS": "1",
            "incomes-0-id": income.pk,
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 302
    current = ScreeningResult.objects.get(household=household, is_current=True)
    assert current.outcome == "not_eligible" and current.previous_outcome == "dibao"
    assert ScreeningResult.objects.filter(household=household).count() == 2


def test_screen_households_task_takes_a_list_of_ids(campaign, village_a):
    chosen = [family(village_a, income="3000") for _ in range(3)]
    family(village_a, income="3000")
    tasks.screen_households.delay([h.pk for h in chosen])
    assert set(ScreeningResult.objects.values_list("household_id", flat=True)) == {
        h.pk for h in chosen
    }
    run = ScreeningRun.objects.get()
    assert run.scope == "households" and run.household_count == 3
    tasks.screen_households.delay([h.pk for h in chosen])  # idempotent: same current verdicts
    assert ScreeningResult.objects.count() == 3


def test_screen_campaign_task_skips_a_finished_job(campaign, office_user, village_a):
    family(village_a, income="3000")
    job = Job.objects.create(
        kind="screening",
        title="重新研判：全乡",
        owner=office_user,
        params={"campaign_id": campaign.pk},
    )
    tasks.screen_campaign.delay(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and "研判 1 户" in job.message
    tasks.screen_campaign.delay(job.pk)
    assert ScreeningRun.objects.count() == 1


def test_screen_campaign_task_marks_the_job_failed_on_error(office_user):
    job = Job.objects.create(
        kind="screening", title="重新研判", owner=office_user, params={"campaign_id": 999}
    )
    with pytest.raises(Campaign.DoesNotExist):
        tasks.screen_campaign.delay(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.message.startswith("研判失败")


def test_management_command_screens_a_village(campaign, village_a, village_b, capsys):
    family(village_a, income="3000")
    family(village_b, income="3000")
    call_command("screen", "--village", village_a.code)
    out = capsys.readouterr().out
    assert "已研判 1 / 1 户" in out and "研判完成（保合村）" in out
    assert ScreeningResult.objects.get().household.village == village_a

    call_command("screen")
    assert ScreeningResult.objects.count() == 2
    call_command("screen", "--force")
    assert ScreeningResult.objects.count() == 4
    assert ScreeningRun.objects.count() == 3


def test_management_command_screens_each_township_under_its_own_campaign(
    campaign, village_a, capsys
):
    other_township = TownshipFactory(code="500240215", name="外乡")
    other_campaign = CampaignFactory(township=other_township, name="外乡2022年扩面扩围")
    other_village = VillageFactory(township=other_township, name="外乡村")
    ours, theirs = family(village_a, income="3000"), family(other_village, income="3000")
    call_command("screen")
    current = dict(ScreeningResult.objects.values_list("household_id", "campaign_id"))
    assert current == {ours.pk: campaign.pk, theirs.pk: other_campaign.pk}
    call_command("screen", "--village", other_village.code, "--force")
    out = capsys.readouterr().out
    assert "外乡2022年扩面扩围：研判完成（外乡村）" in out
    assert ScreeningResult.objects.filter(campaign=other_campaign).count() == 2


def test_management_command_explains_what_is_missing(campaign):
    with pytest.raises(CommandError, match="没有代码为 9 的村"):
        call_command("screen", "--village", "9")
    campaign.is_active = False
    campaign.save()
    with pytest.raises(CommandError, match="没有找到工作方案"):
        call_command("screen")
