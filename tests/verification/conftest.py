import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Scans and generated files go to a per-test folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def today(settings):
    """Pin the app's date: today(date(2022, 11, 10))."""

    def pin(day):
        settings.APP_TODAY = day
        return day

    return pin
