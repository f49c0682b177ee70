"""The campaign admin page shows and edits the employment-cost rate and its scope (§1.2)."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_campaign_admin_page_shows_and_saves_the_deduction_scope(campaign, client_for):
    admin = UserFactory(username="root", role="admin", is_staff=True, is_superuser=True)
    client = client_for(admin)
    listing = client.get(reverse("admin:households_campaign_changelist")).content.decode()
    assert "必要就业成本扣减范围" in listing and "所有有工资性收入的成员" in listing
    url = reverse("admin:households_campaign_change", args=[campaign.pk])
    page = client.get(url)
    body = page.content.decode()
    assert "必要就业成本扣减比例" in body
    assert 'name="employment_cost_scope"' in body
    for label in ("所有有工资性收入的成员", "外出务工的成员", "仅在外务工的家庭唯一劳动力"):
        assert label in body

    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}  # multi-selects stay lists
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data |= {"employment_cost_scope": "sole_away"}
    data |= {
        "baselines-TOTAL_FORMS": "0",
        "baselines-INITIAL_FORMS": "0",
        "baselines-MIN_NUM_FORMS": "0",
        "baselines-MAX_NUM_FORMS": "1000",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.employment_cost_scope == "sole_away"
