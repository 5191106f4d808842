"""Print the firm portal's figures at bench scale (issue #13: list p95 < 150 ms).

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.portal

Takes the enterprise with the most obstacles in the database filled by
``bench.generate`` and, as a firm user of it, times through Django's test Client:

- "my obstacles" (``/portal/obstacles/``), its first and its last page;
- an obstacle's page (``/portal/obstacles/<id>/``): the newest obstacle and the
  one with the longest firm-visible timeline.

The firm user (``bench_portal_firm``), its membership and grants are created
inside one transaction that is rolled back at the end: the bench database is
left exactly as it was. Median, p95 and max of ``--requests`` timed requests
after 3 warm-ups; the CPU time one request costs (Django's process plus its
PostgreSQL backend, steadier than wall time on a busy machine) and the SQL
queries per page. Exits 1 when a wall-clock p95 misses its target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench.common import configure, database_name

TARGET_LIST_P95_MS = 150  # issue #13
TARGET_PAGE_P95_MS = 200  # DESIGN.md section 5
USERNAME = "bench_portal_firm"


class Rollback(Exception):
    """Raised at the end to roll the transaction back."""


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.portal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    url = configure(create_database=False)
    from django.db import connection, transaction
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit(f"bench: {database_name(url)} has unapplied migrations; run "
                 "`manage.py migrate` on it first")
    missed: list[str] = []
    try:
        with transaction.atomic():
            missed = measure(args, url)
            raise Rollback
    except Rollback:
        pass
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username=USERNAME).exists()  # noqa: S101
    print("\nrolled back: the bench user and its grants are gone again")
    if missed:
        print("MISSED: " + "; ".join(missed))
        sys.exit(1)
    print("all targets met")


def measure(args, url: str) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db.models import Count, Q
    from django.test import Client

    from approvals.choices import Role, TaskRole
    from approvals.models import Obstacle, Task
    from bench.run import fmt, load
    from enterprises.models import Enterprise
    from enterprises.services import membership_add

    busiest = (Obstacle.objects.values("enterprise").annotate(n=Count("pk"))
               .order_by("-n", "enterprise").first())
    if busiest is None:
        sys.exit(f"bench: {database_name(url)} has no obstacles; run bench.generate first")
    enterprise = Enterprise.objects.get(pk=busiest["enterprise"])
    user = get_user_model().objects.create_user(USERNAME, password=None)
    user.groups.add(Group.objects.get(name=Role.FIRM_USER))
    membership_add(user=user, enterprise=enterprise)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    leads = Task.objects.filter(role=TaskRole.LEAD, obstacle__enterprise=enterprise)
    newest = leads.order_by("-obstacle__received_at", "-pk").values_list(
        "obstacle_id", flat=True).first()
    longest = (leads.annotate(n=Count("events", filter=Q(events__is_visible_to_firm=True)))
               .order_by("-n", "-pk").values_list("obstacle_id", "n").first())
    last_page = (busiest["n"] + 19) // 20
    print(f"database {database_name(url)}; enterprise #{enterprise.pk} {enterprise.name} "
          f"with {busiest['n']:,} obstacles (the most); {args.requests} requests per page "
          f"after 3 warm-ups; load average {load()}\n", flush=True)

    pages = [
        ("my obstacles, page 1", "/portal/obstacles/", TARGET_LIST_P95_MS),
        (f"my obstacles, page {last_page} (last)", f"/portal/obstacles/?page={last_page}",
         TARGET_LIST_P95_MS),
        (f"obstacle page, newest #{newest}", f"/portal/obstacles/{newest}/",
         TARGET_PAGE_P95_MS),
        (f"obstacle page #{longest[0]} ({longest[1]} visible events)",
         f"/portal/obstacles/{longest[0]}/", TARGET_PAGE_P95_MS),
    ]
    rows, missed = [], []
    for label, path, target in pages:
        row = timed(client, path, args.requests)
        rows.append((label, *row, target))
        median, p95, worst, cpu, queries = row
        print(f"{label}: median {median:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms, "
              f"cpu {fmt(cpu)}, {queries} queries", flush=True)
        if p95 >= target:
            missed.append(f"{label}: p95 {p95:.0f} ms (target < {target} ms)")
    print(f"\n{'figure':<44} {'median':>8} {'p95':>8} {'max':>8} {'cpu':>8} {'queries':>8}"
          "  target")
    for label, median, p95, worst, cpu, queries, target in rows:
        cells = " ".join(f"{fmt(v):>8}" for v in (median, p95, worst, cpu))
        print(f"{label:<44} {cells} {queries:>8}  p95 < {target} ms")
    print(f"\nload average at the end {load()}")
    return missed


def timed(client, path: str, count: int) -> tuple[float, float, float, float | None, int]:
    """Median, p95 and max wall milliseconds, median CPU milliseconds (Django's
    process plus its PostgreSQL backend, as ``bench.run`` reads them: what the
    request costs on an idle machine) and the number of SQL queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.run import backend_cpu_ns, percentile

    def get():
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"bench: GET {path} answered {response.status_code}")

    for _i in range(3):
        get()
    with CaptureQueriesContext(connection) as captured:
        get()
    queries = len(captured.captured_queries)
    times, cpu = [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    for _i in range(count):
        backend, mine = backend_cpu_ns(pid), time.process_time()
        t = time.perf_counter()
        get()
        times.append((time.perf_counter() - t) * 1000)
        after = backend_cpu_ns(pid)
        if backend is not None and after is not None:
            cpu.append((time.process_time() - mine) * 1000 + (after - backend) / 1e6)
    return (statistics.median(times), percentile(times, 95), max(times),
            statistics.median(cpu) if cpu else None, queries)


if __name__ == "__main__":
    main()
