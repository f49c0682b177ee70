"""The import carries every fact the rules read; the import and the form share one validator."""

import io

import pytest
from django.urls import reverse

from households import validation
from households.importing import import_households_file
from households.models import Household, Member
from tests.factories import make_id_number
from tests.households.factories import id_for, member, xlsx_bytes
from tests.households.test_views import household_post

pytestmark = pytest.mark.django_db


def run(actor, sheets):
    return import_households_file(actor=actor, fileobj=io.BytesIO(xlsx_bytes(sheets)))


HOUSEHOLD_FACTS = {
    "监测户类型": ("边缘易致贫户", "monitoring_type", "marginal_poor"),
    "监测户风险已消除": ("是", "risk_cleared", True),
    "脱贫户": ("是", "is_tuopin", True),
    "2021年人均纯收入": ("8,600", "tuopin_net_income_2021", 8600),
    "2022年预估人均纯收入": ("9200.5", "tuopin_net_income_2022_estimate", 9200.5),
    "今年受灾": ("是", "disaster_loss", True),
    "低保信访次数": ("3", "petition_count", 3),
    "自费就读高收费学校或出国留学": ("是", "high_fee_schooling", True),
    "生活水平明显高于当地低保标准": ("是", "high_consumption", True),
}
MEMBER_FACTS = {
    "受疫情影响无法务工": ("是", "unemployed_due_to_covid", True),
    "无收入月数": ("4", "months_without_income", 4),
    "独居": ("是", "lives_alone", True),
    "有履行能力的法定赡养人": ("否", "has_able_supporter", False),
    "赡养人常年外出务工": ("是", "supporters_work_away", True),
}


def test_every_fact_column_reaches_the_registry(officer_a, village_a):
    from decimal import Decimal

    row = member("500240214201-F1", "冉老汉", id_for(31), "户主")
    row |= {header: cell for header, (cell, _, _) in (HOUSEHOLD_FACTS | MEMBER_FACTS).items()}
    result = run(officer_a, {"家庭成员": [row]})
    assert result.ok, [str(e) for e in result.errors]
    household = Household.objects.get(code="500240214201-F1")
    person = household.members.get()
    for header, (_, field, value) in HOUSEHOLD_FACTS.items():
        expected = Decimal(str(value)) if isinstance(value, float) else value
        assert getattr(household, field) == expected, header
    for header, (_, field, value) in MEMBER_FACTS.items():
        assert getattr(person, field) == value, header


def test_household_facts_must_agree_across_rows(officer_a, village_a):
    rows = [
        member("500240214201-F2", "甲", id_for(41), "户主", 脱贫户="是"),
        member("500240214201-F2", "乙", id_for(42), "配偶", 脱贫户="否"),
    ]
    result = run(officer_a, {"家庭成员": rows})
    assert not result.ok
    assert any("脱贫户" in e.column and "不一致" in e.message for e in result.errors)


@pytest.mark.parametrize(
    ("import_cells", "form_fields", "field", "message"),
    [
        (
            {"残疾类别": "肢体"},
            {"disability_kind": "physical", "disability_grade": ""},
            "disability_grade",
            validation.DISABILITY_GRADE_REQUIRED,
        ),
        (
            {"残疾等级": "2级"},
            {"disability_kind": "", "disability_grade": "2"},
            "disability_kind",
            validation.GRADE_WITHOUT_KIND,
        ),
    ],
)
def test_disability_checks_say_the_same_in_the_import_and_the_form(
    import_cells, form_fields, field, message, officer_a, village_a, client_for
):
    result = run(
        officer_a,
        {"家庭成员": [member("500240214201-F3", "丙", id_for(51), "户主", **import_cells)]},
    )
    assert [e.message for e in result.errors] == [message]
    assert not Household.objects.filter(code="500240214201-F3").exists()

    data = household_post(
        village_a, members=[{"name": "丁", "id_number": make_id_number()} | form_fields]
    )
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.status_code == 200
    assert response.context["forms"].members.forms[0].errors[field] == [message]
    assert not Member.objects.filter(name="丁").exists()


def test_risk_cleared_without_monitoring_is_refused_by_both(officer_a, village_a, client_for):
    result = run(
        officer_a,
        {"家庭成员": [member("500240214201-F4", "戊", id_for(61), "户主", 监测户风险已消除="是")]},
    )
    assert [e.message for e in result.errors] == [validation.RISK_CLEARED_NEEDS_MONITORING]
    data = household_post(village_a, members=[{"name": "己", "id_number": make_id_number()}])
    data["risk_cleared"] = "on"
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.context["forms"].household.errors["risk_cleared"] == [
        validation.RISK_CLEARED_NEEDS_MONITORING
    ]
