"""The app's idea of today: the real date, or the one pinned by APP_TODAY for demos and training."""

from datetime import date

from django.conf import settings
from django.utils import timezone


def today() -> date:
    """Return the pinned demonstration date if one is set, else the local date."""
    pinned = getattr(settings, "APP_TODAY", None)
    return pinned or timezone.localdate()


def is_pinned() -> bool:
    return getattr(settings, "APP_TODAY", None) is not None
