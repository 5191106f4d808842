"""The ledger's colour counts: exact, and cached per query and day until a
task changes (approvals.ledger_cache, DESK["LEDGER_COUNTS_CACHE_SECONDS"])."""

from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

import pytest

from approvals import selectors
from approvals.choices import TaskState
from approvals.models import Task, TaskEvent
from approvals.signals import events_recorded
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mix(db):
    TaskFactory()  # submitted: yellow
    TaskFactory(overdue=True)  # red
    TaskFactory(resolved=True)  # green
    TaskFactory(state=TaskState.REJECTED)  # grey


def test_the_ledger_counts_equal_the_plain_aggregate(mix):
    today = timezone.localdate()
    assert selectors.ledger_colour_counts(Task.objects.all(), today) == \
        selectors.colour_counts(Task.objects.all(), today) == \
        {"yellow": 1, "red": 1, "green": 1, "grey": 1}


@pytest.fixture
def cached(settings):
    settings.DESK = {**settings.DESK, "LEDGER_COUNTS_CACHE_SECONDS": 60}
    cache.clear()
    yield
    cache.clear()


def test_cached_counts_are_served_until_a_task_changes(mix, cached,
                                                       django_assert_num_queries):
    today, every = timezone.localdate(), Task.objects.all()
    assert selectors.ledger_colour_counts(every, today) == \
        {"yellow": 1, "red": 1, "green": 1, "grey": 1}
    with django_assert_num_queries(0):
        assert selectors.ledger_colour_counts(every, today)["yellow"] == 1
    # another filter is another key: never the count of some other list
    in_progress = Task.objects.filter(state=TaskState.IN_PROGRESS)
    assert selectors.ledger_colour_counts(in_progress, today)["green"] == 0


def test_a_saved_task_drops_the_counts_after_its_commit(mix, cached,
                                                        django_capture_on_commit_callbacks):
    today, every = timezone.localdate(), Task.objects.all()
    selectors.ledger_colour_counts(every, today)
    with django_capture_on_commit_callbacks(execute=True):
        TaskFactory(resolved=True)
        TaskFactory()
    assert selectors.ledger_colour_counts(every, today) == \
        {"yellow": 2, "red": 1, "green": 2, "grey": 1}


def test_recorded_events_drop_the_counts(mix, cached):
    """The set-wise paths (the escalation job's UPDATE) save no model: their
    events_recorded signal drops the counts."""
    today, every = timezone.localdate(), Task.objects.all()
    selectors.ledger_colour_counts(every, today)
    Task.objects.filter(state=TaskState.SUBMITTED).update(state=TaskState.REJECTED)
    assert selectors.ledger_colour_counts(every, today)["grey"] == 1  # nothing said yet
    events_recorded.send(sender=TaskEvent, event_ids=[1])
    assert selectors.ledger_colour_counts(every, today) == \
        {"yellow": 0, "red": 1, "green": 1, "grey": 2}


def test_the_counts_are_per_day(mix, cached):
    """Deadlines turn tasks red at midnight: tomorrow's counts are not today's."""
    today, every = timezone.localdate(), Task.objects.all()
    selectors.ledger_colour_counts(every, today)
    later = today + timedelta(days=400)
    assert selectors.ledger_colour_counts(every, later) == selectors.colour_counts(every, later)
