"""What-if offers the deduction's scope: who would change if only members working away had
the employment cost deducted (rules.md §1.2)."""

import pytest
from django.urls import reverse

from screening import services
from screening.models import ScreeningResult

from .factories import family

pytestmark = pytest.mark.django_db


def test_what_if_tries_another_deduction_scope_without_saving(
    client_for, office_user, campaign, village_a
):
    local = family(village_a, income="8000", head_name="周本地")  # 5,600 after 30%: 低保
    away = family(village_a, income="8000", head_name="吴外出")
    away.members.update(works_away=True, employed=True)
    services.screen_households(campaign=campaign)
    before = list(ScreeningResult.objects.values_list("pk", "outcome", "is_current"))

    client = client_for(office_user)
    page = client.get(reverse("screening:what_if")).content.decode()
    assert "范围：所有有工资性收入的成员" in page and 'name="employment_cost_scope"' in page
    response = client.get(reverse("screening:what_if"), {"employment_cost_scope": "away"})
    report = response.context["report"]
    assert [(c.head_name, c.before, c.after) for c in report.changes] == [
        ("周本地", "dibao", "marginal")
    ]
    assert ("必要就业成本扣减范围", "所有有工资性收入的成员", "外出务工的成员") in report.parameters
    assert list(ScreeningResult.objects.values_list("pk", "outcome", "is_current")) == before
    assert local.pk != away.pk

    bad = client.get(reverse("screening:what_if"), {"employment_cost_scope": "nobody"})
    assert bad.context["report"] is None
    assert "employment_cost_scope" in bad.context["form"].errors
