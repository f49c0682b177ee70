"""Bench data: the synthetic registry, one campaign per township, verdicts, snapshots, users."""

from __future__ import annotations

import io
import time

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction

from households.models import Campaign, CampaignBaseline, Household, Township
from xixin_dibao import dashboard
from xixin_dibao.models import Role, User

PASSWORD = "Bench#Xixin2022"  # throwaway accounts in the throwaway database


def generate(*, households: int, seed: int = 1, townships: int | None = None) -> float:
    """`manage.py generate_synthetic` (the engineer's generator); returns its wall time.

    Then ANALYZE, as autovacuum would shortly after a bulk load: without statistics PostgreSQL
    plans for empty tables (nested loops over sequential scans), which no live system sees.
    """
    started = time.perf_counter()
    options = {"households": households, "seed": seed, "stdout": io.StringIO()}
    if townships:
        options["townships"] = townships
    call_command("generate_synthetic", **options)
    seconds = time.perf_counter() - started
    analyze()
    return seconds


def analyze() -> None:
    """Fresh planner statistics (PostgreSQL ANALYZE, SQLite ANALYZE)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def reference_campaign() -> Campaign:
    return Campaign.objects.order_by("pk").first()


@transaction.atomic
def campaigns_for_every_township() -> list[Campaign]:
    """Copy the reference campaign (the 2022 policy numbers) to each township without one."""
    template = reference_campaign()
    covered = set(Campaign.objects.values_list("township_id", flat=True))
    for township in Township.objects.exclude(pk__in=covered).order_by("pk"):
        copy = Campaign.objects.get(pk=template.pk)
        copy.pk = None
        copy.township = township
        copy.name = f"{township.name}2022年城乡低保扩面扩围"
        copy.save()
        CampaignBaseline.objects.bulk_create(
            CampaignBaseline(campaign=copy, village=v, dibao_households=0, dibao_persons=0)
            for v in township.village_set.all()
        )
    return list(Campaign.objects.current_campaigns().order_by("pk"))


def populated_campaigns() -> list[Campaign]:
    """Active campaigns of townships that have households."""
    townships = set(
        Household.objects.order_by().values_list("village__township_id", flat=True).distinct()
    )
    return [c for c in campaigns_for_every_township() if c.township_id in townships]


def screen_everything(*, force: bool = True) -> float:
    """Screen every household under its township's campaign; returns the wall time."""
    from screening.services import screen_campaigns

    campaigns = populated_campaigns()
    started = time.perf_counter()
    screen_campaigns(campaigns, force=force)  # what `manage.py screen` runs
    seconds = time.perf_counter() - started
    analyze()  # the verdicts are a bulk load too
    return seconds


def refresh_dashboards() -> None:
    """What the beat task does every 5 minutes: the dashboard figures per campaign."""
    for campaign in populated_campaigns():
        dashboard.refresh_snapshot(campaign=campaign)


def office_users(count: int) -> list[str]:
    """`count` 民政办 accounts, one township each in turn (townships with households)."""
    townships = [c.township_id for c in populated_campaigns()]
    password = make_password(PASSWORD)  # hashed once: PBKDF2 is deliberately slow
    names = []
    for i in range(count):
        username = f"bench_office_{i + 1:02d}"
        User.objects.update_or_create(
            username=username,
            defaults={
                "role": Role.OFFICE,
                "township_id": townships[i % len(townships)],
                "password": password,
                "last_name": "测试",
                "first_name": f"{i + 1:02d}",
            },
        )
        names.append(username)
    return names


def county_office_user() -> User:
    """A county-level 民政办 account (no township: sees every household)."""
    user, _ = User.objects.update_or_create(
        username="bench_county",
        defaults={"role": Role.OFFICE, "township": None, "password": make_password(PASSWORD)},
    )
    return user
