"""The overview cache's rules (``dashboards.cache``): fresh, kept stale while a
job recomputes it, or computed in the request; the warm-up job and its beat
entries."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.test import override_settings

import pytest
import time_machine

from dashboards import cache
from tests.dashboards.conftest import at

pytestmark = pytest.mark.django_db

FRESH, STALE = 120, 600


def desk(fresh=FRESH, stale=STALE):
    return override_settings(DESK={**settings.DESK, "DASHBOARD_CACHE_SECONDS": fresh,
                                   "DASHBOARD_STALE_SECONDS": stale})


class Figures:
    """A compute function counting its calls, and a refresh one counting the
    jobs scheduled."""

    def __init__(self):
        self.computed = 0
        self.refreshes = 0

    def compute(self):
        self.computed += 1
        return f"figures #{self.computed}"

    def refresh(self):
        self.refreshes += 1

    def look(self, key="k"):
        return cache.cached(key, self.compute, refresh=self.refresh)


@pytest.fixture
def clock():
    with time_machine.travel(at(11, 25), tick=False) as traveller:
        yield traveller


def test_a_fresh_entry_is_served_without_computing_or_refreshing(
        clock, django_capture_on_commit_callbacks):
    figures = Figures()
    with desk(), django_capture_on_commit_callbacks(execute=True) as jobs:
        assert figures.look() == "figures #1"
        clock.shift(FRESH - 1)
        assert figures.look() == "figures #1"
        assert cache.is_fresh("k")
    assert (figures.computed, figures.refreshes, len(jobs)) == (1, 0, 0)


def test_a_stale_version_is_served_while_one_refresh_is_scheduled(
        clock, django_capture_on_commit_callbacks):
    figures = Figures()
    with desk():
        figures.look()
        cache.bump()
        assert not cache.is_fresh("k")
        with django_capture_on_commit_callbacks(execute=True) as jobs:
            assert figures.look() == "figures #1"
            assert figures.look() == "figures #1"  # the mark: no second job
        assert (figures.computed, figures.refreshes, len(jobs)) == (1, 1, 1)
        # the job done, the next stale look may schedule another one
        cache.refreshed("k")
        cache.bump()
        with django_capture_on_commit_callbacks(execute=True) as jobs:
            assert figures.look() == "figures #1"
        assert (figures.computed, figures.refreshes, len(jobs)) == (1, 2, 1)


def test_an_entry_past_the_fresh_time_is_served_while_refreshed(
        clock, django_capture_on_commit_callbacks):
    figures = Figures()
    with desk():
        figures.look()
        clock.shift(FRESH)
        assert not cache.is_fresh("k")
        with django_capture_on_commit_callbacks(execute=True) as jobs:
            assert figures.look() == "figures #1"
            assert figures.look() == "figures #1"
        assert (figures.computed, figures.refreshes, len(jobs)) == (1, 1, 1)
        # the refresh job stores a new entry: fresh again from then on
        cache.store("k", figures.compute)
        cache.refreshed("k")
        clock.shift(FRESH - 1)
        assert figures.look() == "figures #2"
        assert (figures.computed, figures.refreshes) == (2, 1)


def test_an_entry_kept_past_the_stale_time_is_computed_in_the_request(
        clock, django_capture_on_commit_callbacks):
    figures = Figures()
    with desk():
        figures.look()
        clock.shift(STALE - 1)
        with django_capture_on_commit_callbacks(execute=False) as jobs:
            assert figures.look() == "figures #1"  # still served (a job scheduled)
        assert len(jobs) == 1
        clock.shift(1)
        with django_capture_on_commit_callbacks(execute=True) as jobs:
            assert figures.look() == "figures #2"
        assert (figures.computed, len(jobs)) == (2, 0)
        assert cache.is_fresh("k")


def test_a_stale_entry_without_a_refresh_is_computed_in_the_request(clock):
    figures = Figures()
    with desk():
        assert cache.cached("k", figures.compute) == "figures #1"
        cache.bump()
        assert cache.cached("k", figures.compute) == "figures #2"


def test_a_zero_fresh_time_computes_every_look(clock, django_capture_on_commit_callbacks):
    figures = Figures()
    with desk(fresh=0), django_capture_on_commit_callbacks(execute=True) as jobs:
        assert [figures.look(), figures.look()] == ["figures #1", "figures #2"]
    assert (figures.refreshes, len(jobs)) == (0, 0)


def test_a_per_process_cache_with_a_worker_keeps_entries_only_while_fresh(clock):
    """The worker's refresh would fill the worker's memory cache, not this
    process's: stale figures are not served for hours."""
    figures = Figures()
    with desk(), override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        assert cache.kept_seconds() == FRESH
        figures.look()
        clock.shift(FRESH)
        assert figures.look() == "figures #2"
    with desk():
        assert cache.kept_seconds() == STALE
    with desk(stale=10):
        assert cache.kept_seconds() == FRESH  # never kept shorter than fresh


def test_an_entry_of_the_older_shape_counts_as_absent(clock):
    from django.core.cache import cache as django_cache

    django_cache.set("dashboards:entry:k", (cache.version(), "old figures"), 60)
    figures = Figures()
    with desk():
        assert not cache.is_fresh("k")
        assert figures.look() == "figures #1"


# ------------------------------------------------------------------ warm-up


def test_warming_computes_every_preset_of_every_scope_once(world):
    from approvals.models import Department
    from dashboards.selectors import WARM_PRESETS, warm_overviews

    assert WARM_PRESETS == ("week", "month", "quarter", "year")
    scopes = 1 + Department.objects.count()
    assert scopes == 3
    with desk():
        assert warm_overviews() == 4 * scopes
        assert warm_overviews() == 0
        cache.bump()
        assert warm_overviews() == 4 * scopes
        with time_machine.travel(at(11, 25) + timedelta(seconds=FRESH), tick=False):
            assert warm_overviews() == 4 * scopes  # past the fresh time
    with desk(fresh=0):
        assert warm_overviews() == 0  # the cache off: nothing to warm


def test_the_warm_up_job_is_on_the_beat_schedule():
    from celery.schedules import crontab

    from servicedesk.celery import app

    schedules = [entry["schedule"] for entry in app.conf.beat_schedule.values()
                 if entry["task"] == "dashboards.tasks.warm_overviews_task"]
    assert crontab(hour=0, minute=10) in schedules
    assert crontab(minute="*/30", hour="7-19") in schedules
