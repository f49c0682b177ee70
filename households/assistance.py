"""Household.assistance_now: the kinds of assistance a household's members receive now.

Derived from AssistanceRecord (open spells, no end date), stored on the household so that lists
filter "无救助" or "低保" per household without joining members and records on every page.
Kept current by signals for single records (forms, admin; fixtures and backups carry it) and by `refresh_current`
for bulk writes; the synthetic generator writes the value with the rows.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models.signals import post_delete, post_save

CHUNK = 2_000


def assistance_text(kinds: Iterable[str]) -> str:
    """ ",a,b," (sorted, no repeats) so `contains=",a,"` matches whole kinds only; "" for none."""
    kinds = sorted(set(kinds))
    return f",{','.join(kinds)}," if kinds else ""


def refresh_current(household_ids: Iterable[int]) -> None:
    """Recompute assistance_now for these households (one read and a few updates per chunk)."""
    from .models import AssistanceRecord, Household

    ids = sorted(set(household_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        kinds = defaultdict(set)
        for household_id, kind in AssistanceRecord.objects.filter(
            member__household_id__in=chunk, end_date__isnull=True
        ).values_list("member__household_id", "kind"):
            kinds[household_id].add(kind)
        by_value = defaultdict(list)
        for household_id in chunk:
            by_value[assistance_text(kinds[household_id])].append(household_id)
        for value, households in by_value.items():
            Household.objects.filter(pk__in=households).exclude(assistance_now=value).update(
                assistance_now=value
            )


def _record_changed(sender, instance, raw=False, **kwargs):
    """A record was saved or deleted: refresh its household (fixtures and backups carry the value)."""
    if raw:
        return
    from .models import Member

    household_id = (
        Member.objects.filter(pk=instance.member_id).values_list("household_id", flat=True).first()
    )
    if household_id is not None:
        refresh_current([household_id])


def connect_signals() -> None:
    from .models import AssistanceRecord

    post_save.connect(_record_changed, sender=AssistanceRecord, dispatch_uid="assistance_saved")
    post_delete.connect(_record_changed, sender=AssistanceRecord, dispatch_uid="assistance_deleted")
