from datetime import date

import pytest

TODAY = date(2022, 10, 25)


@pytest.fixture(autouse=True)
def _today(settings):
    """Screening depends on the date (ages, current assistance): pin it to the seed's date."""
    settings.APP_TODAY = TODAY
