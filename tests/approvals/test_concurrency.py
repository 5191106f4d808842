"""Two users acting on one task at the same moment: exactly one move wins.

Run on PostgreSQL, where ``select_for_update`` serialises the transitions:
``DATABASE_URL=postgres://root@127.0.0.1:5432/svc_tests pytest tests/approvals``.

To make "the same moment" real rather than a matter of luck, the test holds the
task's row lock itself, starts the two threads, waits until PostgreSQL reports
both blocked on that lock, and only then lets go: both transitions are inside
their transaction, waiting on the same row, when the race starts. PostgreSQL
queues waiters in arrival order, which lets a test choose who goes first.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import translation

import pytest
import time_machine

from approvals import services
from approvals.choices import Channel, EventAction, Role, TaskRole, TaskState
from approvals.models import Task, TaskEvent
from approvals.services import InvalidTransition
from enterprises.models import Industry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT ... FOR UPDATE) are only real on PostgreSQL; "
               "set DATABASE_URL=postgres://... to run the race tests",
    ),
    # committed data: the threads read it on connections of their own
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _reference_data(transactional_db):
    """Rows these tests need that migrations normally put in: a transactional
    test run before this one may have flushed them (the role groups the user
    factory joins, the industry the enterprise factory picks)."""
    for role in Role:
        Group.objects.get_or_create(name=role)
    Industry.objects.get_or_create(code="C", defaults={"name_zh": "制造业",
                                                       "name_en": "Manufacturing"})


@pytest.fixture(autouse=True)
def _clock():
    # Tuesday 29 Sep 2026, for the whole test and every thread in it (time-machine
    # patches the clock process-wide): the return window is open
    moment = datetime(2026, 9, 29, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def assigned(_clock, staff, coordinator, enterprise, category, dept) -> Task:
    obstacle = services.obstacle_submit(
        actor=staff, enterprise=enterprise, category=category, title="消防验收排期过长",
        description="消防验收排期超过两个月。", channel=Channel.VISIT,
    )
    task = obstacle.tasks.get(role=TaskRole.LEAD)
    services.task_assign(task_id=task.pk, actor=coordinator, department=dept)
    return Task.objects.get(pk=task.pk)


def _lock_waiters(observer) -> int:
    """Backends of this test database waiting for a lock. Asked on a connection
    of its own in autocommit: inside a transaction PostgreSQL would keep showing
    the first snapshot of ``pg_stat_activity``."""
    with observer.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def _wait_for_waiters(observer, n: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _lock_waiters(observer) < n:
        if time.monotonic() > deadline:
            raise AssertionError(f"{n} transitions never blocked on the task's row lock")
        time.sleep(0.02)


def _attempt(name: str, move, results: dict) -> None:
    """Run one transition in this thread, keep its outcome, close the thread's
    own database connection whatever happened."""
    try:
        with translation.override("en"):
            results[name] = move()
    except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
        results[name] = exc
    finally:
        connection.close()


def race(task: Task, moves: dict) -> dict:
    """Start ``moves`` (name -> callable) while this thread holds the task's row
    lock, in the order given, each queued on the lock before the next starts;
    then release them all at once. Returns name -> result or exception."""
    results: dict = {}
    threads = []
    observer = connection.get_new_connection(connection.get_connection_params())
    observer.autocommit = True
    try:
        with transaction.atomic():
            Task.objects.select_for_update().get(pk=task.pk)
            for n, (name, move) in enumerate(moves.items(), start=1):
                thread = threading.Thread(target=_attempt, args=(name, move, results))
                thread.start()
                threads.append(thread)
                _wait_for_waiters(observer, n)
    finally:
        observer.close()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a transition never finished"
    return results


def _outcome(results: dict) -> tuple[list[str], list[str]]:
    winners = [n for n, r in results.items() if not isinstance(r, Exception)]
    losers = [n for n, r in results.items() if isinstance(r, Exception)]
    return winners, losers


def test_two_officers_accepting_at_once_one_wins(assigned, officer, head):
    results = race(assigned, {
        "officer": lambda: services.task_accept(task_id=assigned.pk, actor=officer),
        "head": lambda: services.task_accept(task_id=assigned.pk, actor=head),
    })

    winners, losers = _outcome(results)
    assert winners == ["officer"]  # first in the lock queue
    assert isinstance(results["head"], InvalidTransition), results["head"]
    assert "Only an assigned task can be accepted" in str(results["head"])
    task = Task.objects.get(pk=assigned.pk)
    assert (task.state, task.owner) == (TaskState.IN_PROGRESS, officer)
    assert TaskEvent.objects.filter(task=task, action=EventAction.ACCEPT).count() == 1


@pytest.mark.parametrize("first", ["accept", "return"])
def test_accept_racing_a_return_one_wins_the_other_is_told(assigned, officer, head, first):
    moves = {
        "accept": lambda: services.task_accept(task_id=assigned.pk, actor=officer),
        "return": lambda: services.task_return(task_id=assigned.pk, actor=head,
                                               reason="属于住建部门职责"),
    }
    second = "return" if first == "accept" else "accept"

    results = race(assigned, {first: moves[first], second: moves[second]})

    winners, losers = _outcome(results)
    assert winners == [first]
    # a clear refusal, not a bare 403: the loser had the task open in its department
    assert not isinstance(results[second], PermissionDenied), "the loser got a bare 403"
    assert isinstance(results[second], InvalidTransition), results[second]
    task = Task.objects.get(pk=assigned.pk)
    expected = TaskState.IN_PROGRESS if first == "accept" else TaskState.SUBMITTED
    assert task.state == expected
    moved = TaskEvent.objects.filter(task=task, action__in=[EventAction.ACCEPT,
                                                            EventAction.RETURN])
    assert list(moved.values_list("action", flat=True)) == [
        EventAction.ACCEPT if first == "accept" else EventAction.RETURN]


def test_two_threads_released_together_by_a_barrier_give_one_winner(assigned, officer, head):
    """The same race without the gate, many times: whoever wins, one wins."""
    barrier = threading.Barrier(2)
    results: dict = {}

    def move(name, actor):
        barrier.wait(timeout=10)
        return services.task_accept(task_id=assigned.pk, actor=actor)

    threads = [
        threading.Thread(target=_attempt, args=(name, lambda n=name, a=actor: move(n, a),
                                                results))
        for name, actor in (("officer", officer), ("head", head))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners, losers = _outcome(results)
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(results[losers[0]], InvalidTransition), results[losers[0]]
    assert TaskEvent.objects.filter(task=assigned, action=EventAction.ACCEPT).count() == 1
