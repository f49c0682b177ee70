import pytest
from django.test import Client

from tests.factories import CampaignFactory, OfficerFactory, UserFactory, VillageFactory


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def village_a(db):
    return VillageFactory(code="500240214201", name="保合村")


@pytest.fixture
def village_b(db):
    return VillageFactory(code="500240214202", name="万寿村")


@pytest.fixture
def officer_a(village_a):
    return OfficerFactory(username="officer_a", village=village_a)


@pytest.fixture
def officer_b(village_b):
    return OfficerFactory(username="officer_b", village=village_b)


@pytest.fixture
def office_user(db):
    return UserFactory(username="office", role="office")


@pytest.fixture
def leader(db):
    return UserFactory(username="leader", role="leadership")


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for():
    return _client_for
