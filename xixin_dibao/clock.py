"""The app's idea of today: the real date, or the one pinned by APP_TODAY for demos and training.

Every date or timestamp a user sees (研判于, record times, export names, dossier covers) comes
from here, so a pinned demo never shows the machine's real year beside the pinned day.
"""

from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


def today() -> date:
    """Return the pinned demonstration date if one is set, else the local date."""
    pinned = getattr(settings, "APP_TODAY", None)
    return pinned or timezone.localdate()


def now() -> datetime:
    """Return the current moment, moved onto the pinned date (keeping the time of day) if pinned."""
    real = timezone.now()
    pinned = getattr(settings, "APP_TODAY", None)
    if pinned is None:
        return real
    local = timezone.localtime(real)
    return local.replace(year=pinned.year, month=pinned.month, day=pinned.day)


def is_pinned() -> bool:
    return getattr(settings, "APP_TODAY", None) is not None


class DateTimeField(models.DateTimeField):
    """A DateTimeField whose auto_now / auto_now_add stamp comes from the app's clock.

    Deconstructs as Django's own field, so swapping it in needs no migration.
    """

    def pre_save(self, model_instance, add):
        if self.auto_now or (self.auto_now_add and add):
            value = now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs
