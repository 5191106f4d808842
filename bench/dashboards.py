"""Figures of the leaders' dashboards (#9) on a database filled by ``bench.generate``.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.dashboards

(a) ``/dashboards/`` through Django's test Client logged in as a leader: this
month (the default), last month as a custom range (a whole month: what the
default shows at a month's end), this year, and the busiest department's view
for a head;
each three ways: "first view" (the cache emptied before every request, so
every figure is queried: the first look of the day at a scope and period),
"after a change" (a task event made the cached figures stale before every
request: they are served while the refresh job recomputes them; the job, run
here after each timed request as a worker would, is timed apart) and "warm"
(served from the cache); median, p95, max and the SQL queries of one
request; CPU of this process per request (the figures' SQL runs in the
PostgreSQL backend, and its time is in the wall figures).

(b) ``/dashboards/ledger.xlsx?role=all``: the newest 100,000 tasks streamed
into a sheet (``dashboards.xlsx``); wall and CPU time, size, the peak of
Python allocations (tracemalloc, in a second, untimed run) and the process's
peak RSS before and after.

The PostgreSQL session settings that change the plans (jit,
random_page_cost; ``PGOPTIONS`` sets them) are printed first.

Targets (issue #9): the overview p95 < 500 ms with a constant number of
queries (this month and last month, as a leader); the 100,000-row export < 30 s without holding the rows in memory.
Exits 1 when one is missed. Nothing is written to the database except the
test Client's session and the audit line of the download, which is rolled
back.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc

from bench.common import configure, database_name
from bench.run import load, percentile, reference_cpu_ms

TARGET_P95_MS = 500
TARGET_EXPORT_S = 30


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per case")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-pages", action="store_true", help="only the export")
    parser.add_argument("--verify", action="store_true",
                        help="read the exported workbook back and count its rows (slow)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    url = configure(create_database=False)
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit(f"bench: {database_name(url)} has unapplied migrations")
    missed = Bench(args, url).run()
    if missed:
        print("MISSED: " + "; ".join(missed))
        sys.exit(1)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class Bench:
    def __init__(self, args, url):
        from django.contrib.auth import get_user_model
        from django.db.models import Count
        from django.test import Client

        from approvals.choices import Role
        from approvals.models import Profile, Task

        self.args, self.url = args, url
        users = get_user_model().objects
        self.leader = users.filter(groups__name=Role.LEADER).order_by("pk").first()
        if self.leader is None:
            sys.exit("bench: no leader in the database; run python -m bench.generate")
        busiest = (Task.objects.values("department").exclude(department=None)
                   .annotate(n=Count("pk")).order_by("-n")
                   .values_list("department", flat=True).first())
        head_id = (Profile.objects.filter(department=busiest,
                                          user__groups__name=Role.DEPARTMENT_HEAD)
                   .values_list("user", flat=True).first())
        self.head = users.get(pk=head_id) if head_id else None
        self.client, self.head_client = Client(HTTP_HOST="localhost"), Client(
            HTTP_HOST="localhost")
        self.client.force_login(self.leader)
        if self.head:
            self.head_client.force_login(self.head)
        self.missed: list[str] = []

    def run(self) -> list[str]:
        from django.db import connection
        from django.urls import reverse

        from approvals.models import Obstacle, Task

        print(f"database {database_name(self.url)}: {Obstacle.objects.count():,} obstacles, "
              f"{Task.objects.count():,} tasks; load average {load()}; CPU reference "
              f"{reference_cpu_ms():.0f} ms; {self.args.requests} requests per case",
              flush=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit'), current_setting('random_page_cost'), "
                           "current_setting('work_mem')")
            jit, rpc, work_mem = cursor.fetchone()
        print(f"PostgreSQL session: jit {jit}, random_page_cost {rpc}, work_mem {work_mem}"
              f"{' (PGOPTIONS ' + os.environ['PGOPTIONS'] + ')' if os.environ.get('PGOPTIONS') else ''}"
              "\n", flush=True)
        overview = reverse("dashboards:overview")
        # early in a month "this month" is a few days of data: the whole last
        # month (a custom range) is the default view's size at the month's end
        from datetime import timedelta

        from django.utils import timezone

        last_end = timezone.localdate().replace(day=1) - timedelta(days=1)
        last_month = {"period": "custom", "start": last_end.replace(day=1).isoformat(),
                      "end": last_end.isoformat()}
        cases = [("this month (default)", self.client, {}),
                 (f"last month ({last_month['start'][:7]}, custom)", self.client, last_month),
                 ("this year", self.client, {"period": "year"})]
        if self.head:
            cases.append((f"department view ({self.head.username}), this month",
                          self.head_client, {}))
        if not self.args.skip_pages:
            print(f"{'/dashboards/':52} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8} "
                  f"{'slowest q':>10} {'CPU p95':>9}", flush=True)
        self.jobs: list = []
        from dashboards import tasks

        # the refresh job runs here, after the timed request, as a worker would
        tasks.refresh_overview_task.delay = lambda *a: self.jobs.append(a)
        for name, client, query in cases if not self.args.skip_pages else []:
            for how in ("first view", "after a change", "warm"):
                self.page(f"{name}, {how}", client, overview, query, how=how,
                          checked=(query in ({}, last_month) and client is self.client))
        print(flush=True)
        if not self.args.skip_export:
            self.export()
        return self.missed

    def page(self, name, client, url, query, *, how: str, checked: bool) -> None:
        from django.core.cache import cache as django_cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from dashboards import cache, tasks

        job_times = []

        def get():
            if how == "first view":
                django_cache.clear()  # this process's memory cache: nothing cached
            elif how == "after a change":
                cache.bump()  # what a committed task event does
            response = client.get(url, query)
            assert response.status_code == 200, response.status_code  # noqa: S101
            return response

        def worker():
            while self.jobs:
                t = time.perf_counter()
                tasks.refresh_overview_task.run(*self.jobs.pop())
                job_times.append((time.perf_counter() - t) * 1000)

        for _ in range(3):
            get()
            worker()
        with CaptureQueriesContext(connection) as queries:
            get()
        worker()
        # read now: the next request's request_started signal empties the
        # connection's query log, and captured_queries is a slice of it
        captured = queries.captured_queries
        slowest = max((float(q["time"]) for q in captured), default=0.0)
        times, cpu = [], []
        job_times.clear()
        for _ in range(self.args.requests):
            t, c = time.perf_counter(), time.process_time()
            get()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            worker()
        p95 = percentile(times, 95)
        print(f"{name:52} {statistics.median(times):6.0f}ms {p95:6.0f}ms {max(times):6.0f}ms "
              f"{len(captured):8d} {slowest * 1000:8.0f}ms {percentile(cpu, 95):7.0f}ms",
              flush=True)
        if job_times:
            print(f"{'  its refresh jobs (in the worker)':52} "
                  f"{statistics.median(job_times):6.0f}ms {percentile(job_times, 95):6.0f}ms "
                  f"{max(job_times):6.0f}ms", flush=True)
        if checked and p95 >= TARGET_P95_MS:
            self.missed.append(f"{name}: p95 {p95:.0f} ms >= {TARGET_P95_MS} ms")

    def export(self) -> None:
        from django.db import transaction
        from django.urls import reverse

        from dashboards.exports import MAX_LEDGER_ROWS

        url = reverse("dashboards:ledger-export")

        def download():
            # the audit line the download writes is rolled back: the bench changes nothing
            with transaction.atomic():
                response = self.client.get(url, {"role": "all"})
                size = sum(len(chunk) for chunk in response.streaming_content)
                transaction.set_rollback(True)
            return response, size

        # timed without tracemalloc (it slows allocation-heavy code severalfold),
        # then once more under it for the peak of Python allocations
        rss_before = rss_mb()
        t, c = time.perf_counter(), time.process_time()
        response, size = download()
        seconds, cpu = time.perf_counter() - t, time.process_time() - c
        rss_after = rss_mb()
        tracemalloc.start()
        download()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"ledger.xlsx?role=all: {MAX_LEDGER_ROWS:,} rows (the cap) in {seconds:.1f} s "
              f"({cpu:.1f} s CPU), {size / 1e6:.1f} MB; process peak RSS {rss_before:.0f} MB "
              f"before, {rss_after:.0f} MB after; peak Python allocations {peak / 1e6:.1f} MB "
              f"(a second run, under tracemalloc)", flush=True)
        if seconds >= TARGET_EXPORT_S:
            self.missed.append(f"export: {seconds:.1f} s >= {TARGET_EXPORT_S} s")
        if self.args.verify:
            self.verify(response, MAX_LEDGER_ROWS)

    def verify(self, response, expected: int) -> None:
        from io import BytesIO

        from django.db import transaction

        from openpyxl import load_workbook

        with transaction.atomic():
            response = self.client.get(response.wsgi_request.get_full_path())
            data = b"".join(response.streaming_content)
            transaction.set_rollback(True)
        wb = load_workbook(BytesIO(data), read_only=True)
        rows = sum(1 for _ in wb.active.iter_rows(values_only=True))
        print(f"read back: {rows - 1:,} data rows (+ header and the cap's note)")


if __name__ == "__main__":
    main()
