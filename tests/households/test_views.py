from datetime import date

import pytest
from django.urls import reverse

from households import views
from households.models import Household, Income, Member
from tests.factories import (
    AssistanceFactory,
    HouseholdFactory,
    MemberFactory,
    TownshipFactory,
    UserFactory,
    VillageFactory,
    VillageGroupFactory,
    make_id_number,
)
from xixin_dibao.models import AuditEvent

pytestmark = pytest.mark.django_db


def household_post(village, *, members, incomes=(), version=None, code="", group=""):
    data = {
        "village": village.pk,
        "group": group,
        "code": code,
        "head_name": members[0]["name"] if members else "",
        "address": "洗新乡保合村1组",
        "hukou_type": "rural",
        "phone": "",
        "referral_source": "cadre_survey",
        "petition_count": "0",
        "monitoring_type": "",
        "hardship_note": "",
        "group_evidence": "",
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": "0",
        "incomes-TOTAL_FORMS": str(len(incomes)),
        "incomes-INITIAL_FORMS": "0",
        "assets-TOTAL_FORMS": "0",
        "assets-INITIAL_FORMS": "0",
        "expenses-TOTAL_FORMS": "0",
        "expenses-INITIAL_FORMS": "0",
    }
    if version is not None:
        data["version"] = version
    for i, m in enumerate(members):
        base = {
            "relation": "head" if i == 0 else "spouse",
            "work_capacity": "full",
            "chongqing_hukou": "on",
            "months_without_income": "0",
            "has_able_supporter": "on",
        }
        base.update(m)
        data.update({f"members-{i}-{k}": v for k, v in base.items()})
    for i, inc in enumerate(incomes):
        base = {"kind": "wage", "period_months": "12", "source": "declared"}
        base.update(inc)
        data.update({f"incomes-{i}-{k}": v for k, v in base.items()})
    return data


def test_officer_creates_household_with_members_and_income(client_for, officer_a, village_a):
    head_id = make_id_number(date(1975, 3, 9))
    data = household_post(
        village_a,
        members=[
            {"name": "张三", "id_number": head_id},
            {"name": "李四", "id_number": make_id_number(date(1978, 6, 1), female=True)},
        ],
        incomes=[{"member_name": "张三", "amount": "8000"}],
    )
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.status_code == 302, (
        response.context and response.context["forms"].members.errors
    )
    household = Household.objects.get(head_name="张三")
    assert household.village == village_a
    assert household.code == "500240214201-0001"
    head = household.members.get(name="张三")
    assert head.birth_date == date(1975, 3, 9) and head.sex == "M"
    assert Income.objects.get(household=household).member == head
    assert AuditEvent.objects.filter(household_id=household.pk, kind="create").count() >= 4


def test_bad_id_number_shows_chinese_error_and_keeps_input(client_for, officer_a, village_a):
    data = household_post(village_a, members=[{"name": "王五", "id_number": "500240197503090011"}])
    response = client_for(officer_a).post(reverse("households:create"), data)
    assert response.status_code == 200
    assert "身份证号校验位错误" in response.content.decode()
    assert 'value="王五"' in response.content.decode()
    assert not Household.objects.exists()


def test_officer_cannot_move_household_to_other_village(
    client_for, officer_a, village_a, village_b
):
    data = household_post(village_b, members=[{"name": "赵六", "id_number": make_id_number()}])
    client_for(officer_a).post(reverse("households:create"), data)
    assert Household.objects.get(head_name="赵六").village == village_a


def test_id_registered_in_other_village_is_reported_without_details(
    client_for, officer_a, village_a, village_b
):
    other = MemberFactory(household=HouseholdFactory(village=village_b, head_name="外村户"))
    data = household_post(village_a, members=[{"name": "钱七", "id_number": other.id_number}])
    response = client_for(officer_a).post(reverse("households:create"), data)
    body = response.content.decode()
    assert "已在其他村登记" in body and "外村户" not in body
    assert Member.objects.filter(id_number=other.id_number).count() == 1


@pytest.mark.parametrize("name", ["households:detail", "households:edit"])
def test_other_village_household_is_404(client_for, officer_a, village_b, name):
    household = HouseholdFactory(village=village_b)
    response = client_for(officer_a).get(reverse(name, args=[household.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(kind="denied", object_id=str(household.pk)).exists()


def test_list_shows_only_own_village(client_for, officer_a, village_a, village_b):
    HouseholdFactory(village=village_a, head_name="本村户")
    HouseholdFactory(village=village_b, head_name="外村户")
    body = client_for(officer_a).get(reverse("households:list")).content.decode()
    assert "本村户" in body and "外村户" not in body


def test_office_sees_all_villages(client_for, office_user, village_a, village_b):
    HouseholdFactory(village=village_a, head_name="本村户")
    HouseholdFactory(village=village_b, head_name="外村户")
    body = client_for(office_user).get(reverse("households:list")).content.decode()
    assert "本村户" in body and "外村户" in body


def test_list_offers_only_the_users_own_villages_and_groups(
    client_for, village_a, village_b, monkeypatch
):
    other = VillageFactory(township=TownshipFactory(code="500240215", name="外乡"), name="外乡村")
    VillageGroupFactory(village=village_a, number=1, name="本乡一组")
    VillageGroupFactory(village=other, number=1, name="外乡一组")
    township_office = UserFactory(role="office", township=village_a.township)
    body = client_for(township_office).get(reverse("households:list")).content.decode()
    assert village_a.name in body and village_b.name in body
    assert "外乡村" not in body and "外乡一组" not in body
    assert "本乡一组" in body
    # A county account (no township) sees every village; with few villages, every group too
    # (a one-township deployment); with many, it picks a village before its groups are offered.
    county = client_for(UserFactory(role="office", township=None))
    body = county.get(reverse("households:list")).content.decode()
    assert "外乡村" in body and "本乡一组" in body and "外乡一组" in body
    monkeypatch.setattr(views, "GROUPS_LISTED_UP_TO_VILLAGES", 2)
    body = county.get(reverse("households:list")).content.decode()
    assert "外乡村" in body and "本乡一组" not in body
    body = county.get(reverse("households:list"), {"village": other.pk}).content.decode()
    assert "外乡一组" in body and "本乡一组" not in body


@pytest.mark.parametrize("query", ["village=abc", "group=-1", "priority=x", "village=1.5"])
def test_list_with_an_edited_filter_in_the_url_shows_nothing_instead_of_failing(
    client_for, office_user, village_a, query
):
    HouseholdFactory(village=village_a, head_name="本村户")
    response = client_for(office_user).get(reverse("households:list") + "?" + query)
    assert response.status_code == 200
    assert list(response.context["households"]) == []


def test_list_counts_each_households_members(client_for, office_user, village_a):
    three = HouseholdFactory(village=village_a, code="A001")
    MemberFactory.create_batch(3, household=three)
    one = HouseholdFactory(village=village_a, code="A002")
    MemberFactory(household=one)
    HouseholdFactory(village=village_a, code="A003")  # nobody registered yet
    response = client_for(office_user).get(reverse("households:list"))
    counts = {h.code: h.member_count for h in response.context["households"]}
    assert counts == {"A001": 3, "A002": 1, "A003": 0}


def test_status_filter_follows_assistance_records_as_they_change(
    client_for, office_user, village_a
):
    on_dibao = MemberFactory(household=HouseholdFactory(village=village_a, head_name="低保户"))
    record = AssistanceFactory(member=on_dibao, kind="dibao")
    MemberFactory(household=HouseholdFactory(village=village_a, head_name="无救助户"))
    client = client_for(office_user)

    def names(status):
        response = client.get(reverse("households:list"), {"status": status})
        return {h.head_name for h in response.context["households"]}

    assert names("dibao") == {"低保户"} and names("none") == {"无救助户"}
    assert names("marginal") == set()
    record.end_date = date(2022, 6, 30)  # the spell ends: no current assistance
    record.save()
    assert names("dibao") == set() and names("none") == {"低保户", "无救助户"}
    AssistanceFactory(member=on_dibao, kind="marginal")
    assert names("marginal") == {"低保户"}
    on_dibao.assistance.all().delete()
    assert names("none") == {"低保户", "无救助户"}


def test_leader_cannot_edit(client_for, leader, village_a):
    household = HouseholdFactory(village=village_a)
    assert (
        client_for(leader).get(reverse("households:edit", args=[household.pk])).status_code == 403
    )


def test_concurrent_edit_is_refused_with_changes(client_for, officer_a, office_user, village_a):
    household = HouseholdFactory(village=village_a, head_name="孙八")
    head = MemberFactory(household=household, name="孙八")
    data = household_post(village_a, members=[], version=household.version)
    data.update(
        {
            "members-TOTAL_FORMS": "1",
            "members-INITIAL_FORMS": "1",
            "members-0-id": head.pk,
            "members-0-household": household.pk,
            "members-0-name": "孙八",
            "members-0-id_number": head.id_number,
            "members-0-relation": "head",
            "members-0-work_capacity": "full",
            "members-0-months_without_income": "0",
            "members-0-chongqing_hukou": "on",
            "head_name": "孙八",
        }
    )
    first = dict(data, address="第一次修改")
    second = dict(data, address="第二次修改")
    url = reverse("households:edit", args=[household.pk])
    assert client_for(office_user).post(url, first).status_code == 302
    response = client_for(officer_a).post(url, second)
    assert response.status_code == 200
    assert "已修改了这户信息" in response.content.decode()
    household.refresh_from_db()
    assert household.address == "第一次修改"


def test_list_query_count_does_not_grow(
    client_for, office_user, village_a, django_assert_max_num_queries
):
    for _ in range(5):
        MemberFactory(household=HouseholdFactory(village=village_a))
    client = client_for(office_user)
    # 14: the verdict column (1) and the full-ID export button's permission check (2).
    with django_assert_max_num_queries(14) as small:
        client.get(reverse("households:list"))
    for _ in range(30):
        MemberFactory(household=HouseholdFactory(village=village_a))
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("households:list"))
