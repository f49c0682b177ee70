"""Meetings and 公示 are numbered 1, 2, 3 … within their campaign, never by database id."""

import threading
from datetime import date

import pytest
from django.db import connection

from tests.factories import CampaignFactory, TownshipFactory, UserFactory
from tests.verification.factories import DecisionFactory, make_case, new_meeting
from verification.models import PublicNotice, ReviewMeeting
from verification.services import common, create_public_notice
from verification.states import State

from .test_concurrency import _in_memory_sqlite

pytestmark = pytest.mark.django_db


meeting = new_meeting


def reviewed_case(village, campaign):
    case = make_case(village, campaign, state=State.REVIEWED)
    DecisionFactory(case=case)
    return case


def test_meetings_count_from_one_per_campaign(campaign, office_user):
    # Rows of another campaign push the ids up: the numbers must not follow them.
    other = CampaignFactory(year=2023, township=TownshipFactory(code="500240215", name="别乡"))
    for _ in range(10):
        meeting(other, office_user)
    numbers = [meeting(campaign, office_user).number for _ in range(3)]
    assert numbers == ["洗民审〔2022〕1号", "洗民审〔2022〕2号", "洗民审〔2022〕3号"]
    assert ReviewMeeting.objects.filter(campaign=other).order_by("sequence").last().number == (
        "洗民审〔2023〕10号"
    )


def test_notices_count_from_one_per_campaign(campaign, village_a, village_b, office_user, today):
    today(date(2022, 11, 24))
    reviewed_case(village_a, campaign)
    reviewed_case(village_b, campaign)
    numbers = [
        create_public_notice(
            campaign=campaign, village=village, start_date=date(2022, 11, 24), actor=office_user
        ).number
        for village in (village_a, village_b)
    ]
    assert numbers == ["洗民公〔2022〕1号", "洗民公〔2022〕2号"]


def test_a_number_taken_meanwhile_is_retried(campaign, office_user, monkeypatch):
    """Another user's meeting 1 committed after this one read the maximum: take 2, not fail."""
    first = meeting(campaign, office_user)
    reads = []

    def stale_then_fresh(model, campaign):
        reads.append(model)
        return 0 if len(reads) == 1 else ReviewMeeting.objects.filter(campaign=campaign).count()

    monkeypatch.setattr(common, "last_sequence", stale_then_fresh)
    second = meeting(campaign, office_user)
    assert len(reads) == 2
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.number == "洗民审〔2022〕2号"


def test_gives_up_after_repeated_conflicts(campaign, office_user, monkeypatch):
    from django.db import IntegrityError

    meeting(campaign, office_user)
    monkeypatch.setattr(common, "last_sequence", lambda model, campaign: 0)
    with pytest.raises(IntegrityError):
        meeting(campaign, office_user)
    assert ReviewMeeting.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_notices_get_consecutive_numbers(campaign, village_a, village_b, today):
    if _in_memory_sqlite():
        pytest.skip(
            "内存 SQLite 测试库不支持并发写入；设置 SQLITE_TEST_PATH 或使用 PostgreSQL 运行"
        )
    today(date(2022, 11, 24))
    users = [UserFactory(username=f"office{i}", role="office") for i in range(2)]
    villages = [village_a, village_b]
    for village in villages:
        reviewed_case(village, campaign)
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def post(i):
        try:
            barrier.wait()
            outcomes[i] = create_public_notice(
                campaign=campaign,
                village=villages[i],
                start_date=date(2022, 11, 24),
                actor=users[i],
            ).number
        except Exception as exc:  # reported below
            outcomes[i] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["洗民公〔2022〕1号", "洗民公〔2022〕2号"], outcomes
    assert sorted(PublicNotice.objects.values_list("sequence", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_migration_numbers_existing_rows_in_order(campaign, village_a):
    """Rows made by the old code (number = 洗民审〔年〕<id>号) are renumbered 1, 2 …; others kept."""
    from django.db.migrations.executor import MigrationExecutor

    before = [("verification", "0001_initial")]
    after = [("verification", "0002_sequence_numbers")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        meeting_model = old.get_model("verification", "ReviewMeeting")
        notice_model = old.get_model("verification", "PublicNotice")
        fields = {"campaign_id": campaign.pk, "held_on": date(2022, 11, 23), "chair": "冉瑜"}
        first = meeting_model.objects.create(**fields, recorder="涂磊")
        meeting_model.objects.filter(pk=first.pk).update(number=f"洗民审〔2022〕{first.pk}号")
        typed = meeting_model.objects.create(
            **fields, recorder="涂磊", number="洗民审〔2022〕特1号"
        )
        notice = notice_model.objects.create(
            campaign_id=campaign.pk,
            village_id=village_a.pk,
            start_date=date(2022, 11, 24),
            days=7,
            number="",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("verification"))
    new = executor.loader.project_state(after).apps
    meetings = new.get_model("verification", "ReviewMeeting").objects.order_by("pk")
    assert [(m.pk, m.sequence, m.number) for m in meetings] == [
        (first.pk, 1, "洗民审〔2022〕1号"),
        (typed.pk, 2, "洗民审〔2022〕特1号"),
    ]
    notice = new.get_model("verification", "PublicNotice").objects.get(pk=notice.pk)
    assert (notice.sequence, notice.number) == (1, "洗民公〔2022〕1号")
