"""Issue 19.8 and 19.12 (first item): writes stay inside the user's scope; edits carry a version."""

import pytest
from django.urls import reverse

from households.models import Household
from tests.factories import (
    HouseholdFactory,
    MemberFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    make_id_number,
)
from tests.households.test_views import household_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_township_village(db):
    return VillageFactory(
        code="500240215201", name="外乡村", township=TownshipFactory(code="500240215", name="外乡")
    )


@pytest.fixture
def township_office(village_a):
    return UserFactory(username="xixin_office", role="office", township=village_a.township)


def head(n=1):
    return {"name": f"甲{n}", "id_number": make_id_number()}


def test_office_cannot_create_a_household_in_another_townships_village(
    client_for, township_office, other_township_village
):
    data = household_post(other_township_village, members=[head()])
    response = client_for(township_office).post(reverse("households:create"), data)
    assert response.status_code == 200
    assert "所选的村不在您的工作范围内" in response.content.decode()
    assert not Household.objects.filter(village=other_township_village).exists()


def test_office_cannot_move_a_household_to_another_township(
    client_for, township_office, village_a, other_township_village
):
    household = HouseholdFactory(village=village_a, code=f"{village_a.code}-0001")
    data = household_post(
        other_township_village, members=[], version=household.version, code=household.code
    )
    response = client_for(township_office).post(
        reverse("households:edit", args=[household.pk]), data
    )
    assert response.status_code == 200 and "不在您的工作范围内" in response.content.decode()
    household.refresh_from_db()
    assert household.village == village_a


def test_the_service_refuses_an_out_of_scope_village_even_without_the_form(
    township_office, village_a, other_township_village
):
    from django.core.exceptions import PermissionDenied

    from households.forms import HouseholdForm
    from households.services import HouseholdForms, save_household

    data = dict(household_post(village_a, members=[]), head_name="甲")
    form = HouseholdForm(data, user=township_office)
    assert form.is_valid(), form.errors
    form.cleaned_data["village"] = other_township_village
    form.instance.village = other_township_village  # as a crafted caller would
    empty = type("Empty", (), {"forms": [], "instance": None})()
    with pytest.raises(PermissionDenied):
        save_household(
            actor=township_office,
            forms=HouseholdForms(
                household=form, members=empty, incomes=empty, assets=empty, expenses=empty
            ),
        )
    assert not Household.objects.exists()


def test_a_household_code_must_carry_its_villages_prefix(client_for, office_user, village_a):
    url = reverse("households:create")
    bad = household_post(village_a, members=[head(1)], code="500240214299-0001")
    response = client_for(office_user).post(url, bad)
    assert response.status_code == 200
    assert f"户编号须以所属村的村代码开头（{village_a.code}-）" in response.content.decode()
    good = household_post(village_a, members=[head(2)], code=f"{village_a.code}-0042")
    assert client_for(office_user).post(url, good).status_code == 302
    assert Household.objects.filter(code=f"{village_a.code}-0042").exists()


def test_moving_a_household_needs_a_code_of_the_new_village(
    client_for, office_user, village_a, village_b
):
    household = HouseholdFactory(village=village_a, code=f"{village_a.code}-0001")
    url = reverse("households:edit", args=[household.pk])
    moved = household_post(village_b, members=[], version=household.version, code=household.code)
    assert (
        "户编号须以所属村的村代码开头" in client_for(office_user).post(url, moved).content.decode()
    )
    household.refresh_from_db()
    assert household.village == village_a


def test_the_excel_import_holds_new_household_codes_to_the_same_prefix(
    office_user, village_a, village_b
):
    """19.8 for the import: a new household's own code must start with its village's code."""
    import io

    from households.importing import import_households_file
    from tests.households.factories import id_for, member, xlsx_bytes

    old = HouseholdFactory(village=village_a, code="LEDGER-7")  # registered before the rule
    rows = [
        member(f"{village_b.code}-0001", "甲", id_for(1), "户主", 村="保合村"),  # B's prefix in A
        member("新1", "乙", id_for(2), "户主", 村="保合村"),  # temporary: numbered on import
        member(f"{village_a.code}-0009", "丙", id_for(3), "户主", 村="保合村"),
        member("LEDGER-7", "丁", id_for(4), "户主", 村="保合村"),  # unchanged old code
    ]

    def run(rows):
        data = io.BytesIO(xlsx_bytes({"家庭成员": rows}))
        return import_households_file(actor=office_user, fileobj=data)

    result = run(rows)
    (error,) = result.errors
    assert (error.sheet, error.row, error.column) == ("家庭成员", 2, "户编号")
    assert f"户编号须以所属村的村代码开头（{village_a.code}-）" in error.message
    assert list(Household.objects.values_list("code", flat=True)) == [old.code]  # nothing saved

    assert run(rows[1:]).ok
    codes = set(Household.objects.values_list("code", flat=True))
    assert {f"{village_a.code}-0009", "LEDGER-7"} <= codes and "新1" not in codes
    assert all(c.startswith(f"{village_a.code}-") for c in codes - {"LEDGER-7"})


def _edit_data(household, member, **extra):
    data = household_post(household.village, members=[], code=household.code, **extra)
    data.update(
        {
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": member.pk,
            "members-0-household": household.pk,
            "members-0-name": member.name,
            "members-0-id_number": member.id_number,
            "members-0-relation": "head",
            "members-0-work_capacity": "full",
            "members-0-months_without_income": "0",
            "members-0-chongqing_hukou": "on",
            "head_name": member.name,
        }
    )
    return data


def test_an_edit_without_its_version_answers_400_and_changes_nothing(
    client_for, office_user, village_a
):
    household = HouseholdFactory(village=village_a, code=f"{village_a.code}-0001")
    member = MemberFactory(household=household, name="孙八")
    data = _edit_data(household, member)
    data["address"] = "偷偷覆盖"
    response = client_for(office_user).post(reverse("households:edit", args=[household.pk]), data)
    assert response.status_code == 400
    assert "版本号" in response.content.decode()
    household.refresh_from_db()
    assert household.address != "偷偷覆盖"


def test_every_save_bumps_the_version(client_for, office_user, village_a):
    household = HouseholdFactory(village=village_a, code=f"{village_a.code}-0001")
    member = MemberFactory(household=household, name="孙八")
    url = reverse("households:edit", args=[household.pk])
    client = client_for(office_user)
    start = household.version
    for n in (1, 2):
        household.refresh_from_db()
        data = _edit_data(household, member, version=household.version)
        data["address"] = f"第{n}次"
        assert client.post(url, data).status_code == 302
    household.refresh_from_db()
    assert household.version == start + 2 and household.address == "第2次"
    # An unchanged save bumps it too: the next editor's stale copy is refused.
    data = _edit_data(household, member, version=household.version)
    data["address"] = household.address
    assert client.post(url, data).status_code == 302
    household.refresh_from_db()
    assert household.version == start + 3


def test_a_data_match_entry_without_its_version_answers_400(client_for, campaign, village_a):
    from tests.factories import OfficerFactory
    from tests.verification.factories import make_case
    from verification.models import DataMatchResult

    case = make_case(village_a, campaign, state="pending_verification")
    member = MemberFactory(household=case.household, relation="head")
    officer = OfficerFactory(username="officer_dm", village=village_a)
    data = {
        "rows-TOTAL_FORMS": "1",
        "rows-INITIAL_FORMS": "1",
        "rows-0-member_id": member.pk,
        "rows-0-matched_on": "2022-11-08",
        "rows-0-vehicles": "1",
        "rows-0-deposits": "0",
        "rows-0-pension_monthly": "0",
        "rows-0-houses": "0",
    }
    target = reverse("verification:data_match_entry", args=[case.pk])
    response = client_for(officer).post(target, data)
    assert response.status_code == 400 and "版本号" in response.content.decode()
    assert not DataMatchResult.objects.filter(case=case).exists()
