"""R-05 with real threads: two office users act on the same case at once; exactly one wins."""

import threading

import pytest
from django.db import connection

from tests.factories import UserFactory
from tests.verification.factories import DecisionFactory, make_case
from verification.models import Case, CaseTransition, ReviewDecision
from verification.services import CaseError, transition
from verification.states import State


def _in_memory_sqlite() -> bool:
    name = str(connection.settings_dict["NAME"])
    return connection.vendor == "sqlite" and ("memory" in name or name == "")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_transitions_one_wins(campaign, village_a):
    if _in_memory_sqlite():
        # Shared-cache in-memory SQLite raises "table is locked" instead of waiting; the app's
        # SQLite is a WAL file with a busy timeout. Run with SQLITE_TEST_PATH=<file> or Postgres.
        pytest.skip(
            "内存 SQLite 测试库不支持并发写入；设置 SQLITE_TEST_PATH 或使用 PostgreSQL 运行"
        )
    users = [
        UserFactory(username="wangjing", role="office"),
        UserFactory(username="tulei", role="office"),
    ]
    case = make_case(village_a, campaign, state=State.REVIEWED)
    DecisionFactory(case=case, decision=ReviewDecision.Decision.REJECT)
    targets = [State.REPORTED, State.PENDING_REVIEW]
    loaded = [Case.objects.get(pk=case.pk) for _ in users]  # both pages show version 1
    barrier = threading.Barrier(2)
    outcomes = [None, None]

    def act(i):
        try:
            barrier.wait()
            transition(case=loaded[i], to_state=targets[i], actor=users[i], reason="同时操作")
            outcomes[i] = "won"
        except CaseError as exc:
            outcomes[i] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("won") == 1, outcomes
    loser = next(o for o in outcomes if o != "won")
    assert "请刷新页面" in loser
    case.refresh_from_db()
    assert case.version == 2
    assert CaseTransition.objects.filter(case=case).count() == 1
    assert case.state == targets[outcomes.index("won")]
