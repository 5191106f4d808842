"""Print the city-scale figures on a database filled by ``bench.generate``.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.run

(a) the enterprise import of 50,000 rows (preview + commit, then the rows are
deleted again); (b) the enterprise list, (c) the ledger and (d) the league table
through Django's test Client logged in as a coordinator, median and p95; (e) SQL
queries per page. Exits 1 when a figure misses its target.

Wall-clock times depend on whatever else the machine runs. Next to them the
"cpu" column is the CPU time one request costs, Django's process plus its
PostgreSQL backend (read from /proc, so only with a local server), measured
with parallel query off: what the request takes on an idle machine, whatever
the load while measuring.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.common import configure, database_name

TARGET_PAGE_P95_MS = 200
TARGET_KPI_MS = 1000
TARGET_IMPORT_S = 60


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--kpi-requests", type=int, default=10)
    parser.add_argument("--cpu-requests", type=int, default=10,
                        help="requests per page measured for CPU time")
    parser.add_argument("--import-rows", type=int, default=50_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--year", type=int, help="league-table year (default: last year)")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN ANALYZE the slowest query of every page")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    # import uploads land in a scratch directory, not var/private
    scratch = tempfile.mkdtemp(prefix="bench-")
    os.environ.setdefault("PRIVATE_MEDIA_ROOT", scratch)
    url = configure(create_database=False)
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from enterprises.models import Enterprise

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit(f"bench: {database_name(url)} has unapplied migrations; run "
                 "`manage.py migrate` on it (or bench.generate --reset) first")

    if not Enterprise.objects.exists():
        sys.exit(f"bench: {database_name(url)} is empty; run python -m bench.generate first")
    Bench(args, url).run()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Bench:
    def __init__(self, args, url: str):
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from approvals.choices import Role

        self.args, self.url = args, url
        self.today = timezone.localdate()
        self.coordinator = (get_user_model().objects.filter(groups__name=Role.COORDINATOR)
                            .order_by("pk").first())
        if self.coordinator is None:
            sys.exit("bench: no coordinator in the database; run python -m bench.generate")
        self.client = Client(HTTP_HOST="localhost")
        self.client.force_login(self.coordinator)
        self.results: list[tuple] = []
        self.missed: list[str] = []

    def run(self) -> None:
        self.header()
        if not self.args.skip_import:
            self.import_figures()
        self.page_figures()
        self.report()

    # ---------------------------------------------------------------- context

    def header(self) -> None:
        from django.conf import settings
        from django.db import connection

        from approvals.models import Obstacle, Task, TaskEvent
        from enterprises.models import Enterprise

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            buffers = cursor.fetchone()[0]
        counts = {
            "enterprises": Enterprise.objects.count(),
            "obstacles": Obstacle.objects.count(),
            "tasks": Task.objects.count(),
            "events": TaskEvent.objects.count(),
        }
        print(f"database {database_name(self.url)} (PostgreSQL {version}, shared_buffers "
              f"{buffers}); {os.cpu_count()} CPUs; DEBUG={settings.DEBUG}, "
              f"CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}")
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        print(f"as coordinator {self.coordinator.username}; {self.args.requests} requests per "
              f"page after 3 warm-ups; load average {load()}; CPU reference "
              f"{reference_cpu_ms():.0f} ms (a fixed Python loop: compares machines and "
              "contention)\n", flush=True)

    # ---------------------------------------------------------------- (a) import

    def import_figures(self) -> None:
        from django.db import connection

        from enterprises import importing
        from enterprises.models import Enterprise

        n = self.args.import_rows
        path = Path(tempfile.mkdtemp(prefix="bench-import-")) / "enterprises.csv"
        write_import_csv(path, n)
        before = Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        found = {}

        def timed_preview():
            found["preview"] = importing.preview(path)

        def timed_commit():
            found["written"] = importing.commit(found["preview"])

        try:
            t = time.perf_counter()
            cpu_preview = self.cpu_ms(timed_preview, 1)
            t_preview = time.perf_counter() - t
            preview = found["preview"]
            if not preview.is_clean:
                sys.exit(f"bench: the generated import file has bad rows: {preview.errors[:3]}")
            t = time.perf_counter()
            cpu_commit = self.cpu_ms(timed_commit, 1)
            t_commit = time.perf_counter() - t
            written = found["written"]
        finally:
            # the registry is left as generate made it
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM enterprises_enterprise WHERE id > %s", [before])
        total = t_preview + t_commit
        self.results.append((f"(a) import {written:,} rows: preview", t_preview * 1000, None,
                             None, cpu_preview, None, ""))
        self.results.append(("(a) import: commit (bulk_create)", t_commit * 1000, None, None,
                             cpu_commit, None, ""))
        self.check("(a) import: preview + commit", total, TARGET_IMPORT_S, "s")
        self.results.append((
            "(a) import: preview + commit", total * 1000, None, None,
            cpu_preview + cpu_commit if cpu_preview and cpu_commit else None, None,
            f"< {TARGET_IMPORT_S} s"))
        print(f"(a) import of {written:,} rows: preview {t_preview:.1f} s + commit "
              f"{t_commit:.1f} s = {total:.1f} s ({written / total:,.0f} rows/s)", flush=True)

    # ---------------------------------------------------------------- pages

    def page_figures(self) -> None:
        from django.db.models import Count

        from approvals.models import Task
        from enterprises.models import Enterprise

        sample = Enterprise.objects.order_by("pk")[Enterprise.objects.count() // 2]
        partial = sample.credit_code[8:14]
        busiest = (Task.objects.values("department").exclude(department=None)
                   .annotate(n=Count("pk")).order_by("-n").first())
        year = self.args.year or self.today.year - 1
        n = self.args.requests
        pages = [
            ("(b) enterprise list", "/enterprises/", n, TARGET_PAGE_P95_MS),
            (f"(b) list: credit code ~{partial}", f"/enterprises/?q={partial}", n,
             TARGET_PAGE_P95_MS),
            ("(b) list: industry C", "/enterprises/?industry=C", n, TARGET_PAGE_P95_MS),
            ("(c) ledger first page", "/ledger/", n, TARGET_PAGE_P95_MS),
            (f"(c) ledger dept {busiest['department']} ({busiest['n']:,} tasks)",
             f"/ledger/?department={busiest['department']}&role=all", n, TARGET_PAGE_P95_MS),
            (f"(d) league table {year}", f"/kpis/?start={year}-01-01&end={year}-12-31",
             self.args.kpi_requests, TARGET_KPI_MS),
        ]
        for label, path, count, target in pages:
            self.page(label, path, count, target)

    def page(self, label: str, path: str, count: int, target_ms: float) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for _i in range(3):
            self.get(path)
        with CaptureQueriesContext(connection) as captured:
            self.get(path)
        # read now: the property reads the connection's log, which the next
        # request resets
        queries = captured.captured_queries
        times = []
        for _i in range(count):
            t = time.perf_counter()
            self.get(path)
            times.append((time.perf_counter() - t) * 1000)
        median, p95 = statistics.median(times), percentile(times, 95)
        cpu = self.cpu_ms(lambda: self.get(path), self.args.cpu_requests)
        slowest = max(queries, key=lambda q: float(q["time"]))
        self.check(label, p95, target_ms, "ms")
        self.results.append((label, median, p95, max(times), cpu, len(queries),
                             f"p95 < {target_ms:g} ms"))
        print(f"{label}: median {median:.0f} ms, p95 {p95:.0f} ms, cpu {fmt(cpu)}, "
              f"{len(queries)} queries, slowest {float(slowest['time']) * 1000:.0f} ms",
              flush=True)
        if self.args.explain:
            explain(slowest["sql"])

    def cpu_ms(self, call, count: int) -> float | None:
        """Median CPU milliseconds of ``call``: this process plus its PostgreSQL
        backend, parallel query off (workers are other processes). None when
        the backend's /proc entry cannot be read (a remote server)."""
        from django.db import connection

        samples = []
        for _i in range(count * 2):
            with connection.cursor() as cursor:
                cursor.execute("SET max_parallel_workers_per_gather = 0")
                cursor.execute("SELECT pg_backend_pid()")
                pid = cursor.fetchone()[0]
            before = backend_cpu_ns(pid)
            if before is None:
                return None
            mine = time.process_time()
            call()
            mine = time.process_time() - mine
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                same = cursor.fetchone()[0] == pid
            after = backend_cpu_ns(pid)
            if same and after is not None:  # else the request got a new connection
                samples.append(mine * 1000 + (after - before) / 1e6)
            if len(samples) == count:
                break
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")
        return statistics.median(samples) if samples else None

    def get(self, path: str):
        response = self.client.get(path)
        if response.status_code != 200:
            sys.exit(f"bench: GET {path} answered {response.status_code}")
        return response

    # ---------------------------------------------------------------- report

    def check(self, label: str, value: float, target: float, unit: str) -> None:
        if value >= target:
            self.missed.append(f"{label}: {value:.1f} {unit} (target < {target:g} {unit})")

    def report(self) -> None:
        print()
        print(f"{'figure':<44} {'median':>8} {'p95':>8} {'max':>8} {'cpu':>8} {'queries':>8}"
              "  target")
        for label, median, p95, worst, cpu, queries, target in self.results:
            cells = [f"{fmt(v):>8}" for v in (median, p95, worst, cpu)]
            q = f"{queries:>8}" if queries is not None else f"{'':>8}"
            print(f"{label:<44} {' '.join(cells)} {q}  {target}")
        print(f"\nload average at the end {load()} on {os.cpu_count()} CPUs (figures "
              "scale with it: compare runs on an otherwise idle machine)")
        if self.missed:
            print("\nMISSED: " + "; ".join(self.missed))
            sys.exit(1)
        print("\nall targets met")


def fmt(ms: float | None) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.1f}s" if ms >= 10_000 else f"{ms:.0f}ms"


def backend_cpu_ns(pid: int) -> int | None:
    """CPU nanoseconds a local process has run (first field of schedstat)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def reference_cpu_ms() -> float:
    """CPU time of a fixed pure-Python loop, best of three."""
    best = math.inf
    for _i in range(3):
        t = time.process_time()
        total = 0
        for i in range(1_000_000):
            total += i % 7
        best = min(best, (time.process_time() - t) * 1000)
    return best


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def write_import_csv(path: Path, n: int) -> None:
    """``n`` valid enterprises with Chinese headers, in a division the generator
    does not use (330108), so no code clashes with the registry."""
    from enterprises.models import Street
    from enterprises.validators import generate_credit_code

    rng = random.Random(50_000)  # deterministic bench data, not security
    streets = list(Street.objects.values_list("name", flat=True)) or [""]
    sections = "CCCCFFFFIILLMMEGHK"
    seen: set[str] = set()
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(["企业名称", "统一社会信用代码", "行业", "街道", "规模", "法定代表人",
                      "注册地址", "成立日期", "注册资本（万元）"])
        while len(seen) < n:
            code = generate_credit_code(rng, division="330108")
            if code in seen:
                continue
            seen.add(code)
            out.writerow([f"导入测试{len(seen)}有限公司", code, rng.choice(sections),
                          rng.choice(streets), rng.choice(["小型", "微型", "中型"]), "张伟",
                          f"杭州市滨江区江南大道{rng.randint(1, 999)}号",
                          f"{rng.randint(1995, 2024)}-{rng.randint(1, 12):02d}-"
                          f"{rng.randint(1, 28):02d}", rng.choice(["100", "500", "1,000"])])


def explain(statement: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        print("\n".join("    " + row[0] for row in cursor.fetchall()))


if __name__ == "__main__":
    main()
