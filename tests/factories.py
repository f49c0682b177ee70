"""factory_boy factories shared by every test module."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from households import idnumber
from households.models import (
    AssistanceRecord,
    Campaign,
    Household,
    Income,
    Member,
    Township,
    Village,
    VillageGroup,
)

AREA = "500240"


class TownshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Township
        django_get_or_create = ("code",)

    code = "500240214"
    name = "洗新乡"


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village
        django_get_or_create = ("code",)

    township = factory.SubFactory(TownshipFactory)
    code = factory.Sequence(lambda n: f"500240214{201 + n:03d}")
    name = factory.Sequence(lambda n: f"测试{n}村")


class VillageGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VillageGroup

    village = factory.SubFactory(VillageFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.LazyAttribute(lambda o: f"{o.number}组")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "洗新乡2022年城乡低保扩面扩围"
    document_number = "洗府发〔2022〕156号"
    year = 2022
    township = factory.SubFactory(TownshipFactory)
    dibao_standard_monthly = Decimal("581")
    marginal_multiplier = Decimal("1.5")
    outreach_deadline = date(2022, 11, 2)
    verification_cutoff = date(2022, 11, 21)
    exempt_vehicle_kinds = ["motorcycle", "tricycle", "disabled_mobility"]
    excluded_income_kinds = [
        "basic_pension",
        "veterans_benefit",
        "family_planning_award",
        "scholarship",
        "heroism_award",
        "social_assistance",
        "elderly_allowance",
        "disability_subsidy",
    ]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "测"
    first_name = factory.Sequence(lambda n: f"用户{n}")
    role = "office"
    password = factory.PostGenerationMethodCall("set_password", "Xixin#2022pass")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OfficerFactory(UserFactory):
    role = "village_officer"
    village = factory.SubFactory(VillageFactory)


_id_seq = iter(range(1, 10**6))


def make_id_number(born: date = date(1970, 5, 1), *, female: bool = False) -> str:
    """A fresh valid ID number (sequence digits chosen for the requested sex)."""
    n = next(_id_seq)
    seq = (n * 2 + (0 if female else 1)) % 1000
    return idnumber.make(AREA, born, seq if seq else 2)


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    code = factory.Sequence(lambda n: f"T{n:06d}")
    head_name = factory.Sequence(lambda n: f"户主{n}")
    address = "洗新乡"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    relation = "head"
    id_number = factory.LazyFunction(make_id_number)


class IncomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Income

    household = factory.SubFactory(HouseholdFactory)
    kind = "wage"
    amount = Decimal("6000")
    period_months = 12


class AssistanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssistanceRecord

    member = factory.SubFactory(MemberFactory)
    kind = "dibao"
    start_date = date(2020, 1, 1)
