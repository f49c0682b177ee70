"""Issue 20.12: the admin is branded; the campaign form offers choices, not JSON of codes."""

import pytest
from django.urls import reverse

from tests.factories import CampaignFactory, UserFactory
from xixin_dibao.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for):
    return client_for(UserFactory(role="admin", is_staff=True, is_superuser=True))


def test_admin_is_branded(admin_client):
    body = admin_client.get(reverse("admin:index")).content.decode()
    assert "洗新乡低保扩面扩围工作平台 · 系统管理" in body and "Django 管理" not in body


def test_campaign_form_uses_checkboxes_of_kinds_in_chinese(admin_client):
    campaign = CampaignFactory(exempt_vehicle_kinds=["motorcycle"], excluded_income_kinds=[])
    url = reverse("admin:households_campaign_change", args=[campaign.pk])
    response = admin_client.get(url)
    body = response.content.decode()
    assert 'type="checkbox" name="exempt_vehicle_kinds" value="motorcycle"' in body
    assert "摩托车" in body and "城乡居民基础养老金（不计入）" in body
    assert "<textarea" not in body.split('name="exempt_vehicle_kinds"')[0][-300:]
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update(
        {
            "exempt_vehicle_kinds": ["motorcycle", "tricycle"],
            "excluded_income_kinds": ["basic_pension", "scholarship"],
            "township": campaign.township_id,
            "baselines-TOTAL_FORMS": "0",
            "baselines-INITIAL_FORMS": "0",
        }
    )
    for name in ("outreach_deadline", "verification_cutoff", "lookback_since"):
        data[name] = str(getattr(campaign, name))
    data["single_person_since"] = str(campaign.single_person_since)
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert campaign.exempt_vehicle_kinds == ["motorcycle", "tricycle"]
    assert campaign.excluded_income_kinds == ["basic_pension", "scholarship"]


def test_finished_job_button_names_the_file(client_for, office_user):
    job = Job.objects.create(
        owner=office_user,
        kind="export",
        title="导出家庭台账",
        status="done",
        result_file="jobs/x.xlsx",
        result_name="家庭台账.xlsx",
    )
    body = client_for(office_user).get(job.get_absolute_url()).content.decode()
    assert "下载<span" in body and "：家庭台账.xlsx" in body and "（）" not in body
    data = client_for(office_user).get(
        job.get_absolute_url(), headers={"Accept": "application/json"}
    )
    assert data.json()["result_name"] == "家庭台账.xlsx"
