"""Factories for screening tests: registry rows the shared factories do not cover."""

from datetime import date
from decimal import Decimal

import factory

from households.models import Application, Asset, Expense, PriorityGroupRecord
from tests.factories import HouseholdFactory, IncomeFactory, MemberFactory, make_id_number


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    household = factory.SubFactory(HouseholdFactory)
    kind = "deposit"
    value = Decimal("1000")


class ExpenseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expense

    household = factory.SubFactory(HouseholdFactory)
    kind = "medical"
    amount = Decimal("5000")


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    household = factory.SubFactory(HouseholdFactory)
    applied_on = date(2021, 8, 1)
    kind = "dibao"
    outcome = "refused"


class GroupRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityGroupRecord

    household = factory.SubFactory(HouseholdFactory)
    group = 1
    evidence = "村干部排查"


def family(village, *, income="0", members=1, born=date(1980, 1, 1), **household_fields):
    """A household of `members` adults sharing one wage income of `income` a year."""
    household = HouseholdFactory(village=village, **household_fields)
    people = [
        MemberFactory(
            household=household,
            relation="head" if i == 0 else "spouse",
            id_number=make_id_number(born, female=bool(i % 2)),
        )
        for i in range(members)
    ]
    if Decimal(income):
        IncomeFactory(household=household, member=people[0], amount=Decimal(income))
    return household
