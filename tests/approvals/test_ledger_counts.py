"""The ledger's colour counts: exact for yellow, red and grey; green from the
cache for a bounded time (DESK["LEDGER_GREEN_CACHE_SECONDS"])."""

from django.core.cache import cache
from django.utils import timezone

import pytest

from approvals import selectors
from approvals.choices import TaskState
from approvals.models import Task
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


def test_green_may_lag_by_the_cache_time_while_the_others_are_exact(mix, settings):
    settings.DESK = {**settings.DESK, "LEDGER_GREEN_CACHE_SECONDS": 60}
    today = timezone.localdate()
    assert selectors.ledger_colour_counts(Task.objects.all(), today)["green"] == 1
    TaskFactory(resolved=True)
    TaskFactory()
    counts = selectors.ledger_colour_counts(Task.objects.all(), today)
    assert counts["green"] == 1  # cached
    assert counts["yellow"] == 2  # exact
    # another filter is another key: never the count of some other list
    in_progress = Task.objects.filter(state=TaskState.IN_PROGRESS)
    assert selectors.ledger_colour_counts(in_progress, today)["green"] == 0
    cache.clear()
    assert selectors.ledger_colour_counts(Task.objects.all(), today)["green"] == 2
