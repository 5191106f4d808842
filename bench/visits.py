"""Visits (走访) at city scale (issue #5): fill ~800,000 visits, then print the
figures.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.visits

1. **Fill** (only when the database holds fewer than ``--visits``): 100 weeks of
   visits by the service staff ``bench.generate`` made (~1,400 people in 20
   teams, 50,000 enterprises), written with PostgreSQL COPY as ``bench.fill``
   writes obstacles: about six visits a person a week, three in four to the
   person's own liaison firms, one in seven with a companion from the team, the
   same firm twice in a week now and then, drafts only in the last two weeks;
   with the ``QuotaCredit`` rows ``visits.services`` writes on submit (one per
   participant) and each firm's ``FirmLastVisit``. Every generated visit's notes start with ``[bench.visits]``;
   ``--remove`` deletes exactly those rows again. Only the visit tables are
   written: no obstacle is linked to a visit, so "obstacles raised" stays 0.
2. **Pages** through Django's test Client, 3 warm-ups then ``--requests`` timed
   ones: median, p95, max, CPU per request (Django + its PostgreSQL backend, as
   ``bench.run`` reads it) and SQL queries (a page slower than a second is
   timed 5 times only): "my week" and the visit list of the
   service-staff member with the most liaison firms and of one with few (the
   query count must not grow), the list, coverage and the weekly report as a
   coordinator (the whole office), the report as staff (the team), and the
   Monday e-mail's report function for the office.
3. **Transfer size** of the visit form's first load: the HTML and every
   stylesheet, script and font it references, raw and gzip-compressed (level 9
   as WhiteNoise's ``CompressedManifestStaticFilesStorage`` stores them; level 6
   for the HTML as a gzip-ing proxy or Django's ``GZipMiddleware`` sends it).

Targets: "my week" and the office weekly report p95 < 200 ms with a constant
number of queries (#5); other pages p95 < 200 ms (DESIGN.md §5); the visit form
< 300 KB on first load (#5). Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import gzip
import re
import statistics
import sys
import time
from datetime import date, datetime, timedelta

from bench.common import configure, database_name

TARGET_PAGE_P95_MS = 200
TARGET_FORM_KB = 300
MARK = "[bench.visits] "
# a page slower than this (warm-up average, seconds) is timed SLOW_REQUESTS times
SLOW_S = 1.0
SLOW_REQUESTS = 5

PURPOSES = [
    "了解企业生产经营情况", "宣讲稳岗返还和社保补贴政策", "跟踪项目施工许可办理进度",
    "回访企业诉求办理结果", "走访了解用工需求", "协调企业用地规划问题",
    "上门宣讲专精特新申报政策", "了解企业融资需求", "消防验收备案事项对接",
]
NOTES = [
    "企业生产正常，订单较上年同期有所增长，反映招工难。",
    "企业负责人介绍了扩产计划，希望加快规划许可审批。",
    "企业反映水电气报装周期较长，已现场记录。",
    "企业对前期诉求办理结果表示满意，暂无新的困难。",
    "企业经营平稳，关注研发费用加计扣除政策。",
]


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.visits", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=800_000,
                        help="fill up to this many visits (default 800,000)")
    parser.add_argument("--weeks", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--skip-fill", action="store_true")
    parser.add_argument("--remove", action="store_true",
                        help="delete the visits this command generated, then stop")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse(argv)
    url = configure(create_database=False)
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        sys.exit(f"bench: {database_name(url)} has unapplied migrations; run "
                 "`manage.py migrate` on it first")
    if args.remove:
        remove()
        return
    from enterprises.models import Enterprise

    if not Enterprise.objects.exists():
        sys.exit(f"bench: {database_name(url)} is empty; run python -m bench.generate first")
    if not args.skip_fill:
        fill(args)
    missed = measure(args, url)
    if missed:
        print("\nMISSED: " + "; ".join(missed))
        sys.exit(1)
    print("\nall targets met")


# ---------------------------------------------------------------------- fill


# what visits.services.refresh_last_visits keeps, for every firm at once
LAST_VISITS_SQL = """
    INSERT INTO visits_firmlastvisit (enterprise_id, visited_at)
    SELECT enterprise_id, MAX(visited_at) FROM visits_visit WHERE status = 'submitted'
    GROUP BY enterprise_id
    ON CONFLICT (enterprise_id) DO UPDATE SET visited_at = EXCLUDED.visited_at
"""


def remove() -> None:
    """Delete the generated visits (marked in their notes) and their rows."""
    from django.db import connection, transaction

    t = time.perf_counter()
    marked = "SELECT id FROM visits_visit WHERE notes LIKE %s"
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("visits_quotacredit", "visits_visit_companions"):
            cursor.execute(f"DELETE FROM {table} WHERE visit_id IN ({marked})",  # noqa: S608
                           [MARK + "%"])
        cursor.execute("DELETE FROM visits_visit WHERE notes LIKE %s", [MARK + "%"])
        n = cursor.rowcount
        cursor.execute("DELETE FROM visits_firmlastvisit")
        cursor.execute(LAST_VISITS_SQL)
    print(f"removed {n:,} generated visits in {time.perf_counter() - t:.1f} s")


def fill(args) -> None:
    import random

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from approvals.choices import Role
    from bench.fill import bulk_load, copy_rows
    from enterprises.models import Enterprise, Liaison
    from visits.choices import Mode, OperatingStatus, Trend, VisitStatus
    from visits.models import QuotaCredit, Visit, week_start_of

    have = Visit.objects.count()
    if have >= args.visits:
        print(f"visits: {have:,} already (>= {args.visits:,}), nothing to fill")
        return
    needed = args.visits - have
    started = time.perf_counter()
    rng = random.Random(args.seed)  # deterministic bench data, not security
    now = timezone.now()
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    staff = list(get_user_model().objects.filter(groups__name=Role.SERVICE_STAFF)
                 .values_list("pk", "profile__team_id").order_by("pk"))
    if not staff:
        sys.exit("bench: no service staff; run python -m bench.generate first")
    team_of = dict(staff)
    by_team: dict[int | None, list[int]] = {}
    for pk, team in staff:
        by_team.setdefault(team, []).append(pk)
    firms_of: dict[int, list[int]] = {}
    for person, firm in Liaison.objects.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=today),
            staff_id__in=team_of).values_list("staff_id", "enterprise_id"):
        firms_of.setdefault(person, []).append(firm)
    enterprises = list(Enterprise.objects.values_list("pk", flat=True))
    this_week = week_start_of(today)
    weeks = [this_week - timedelta(weeks=i) for i in range(args.weeks)]
    per_person_week = needed / (len(weeks) * len(staff))

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM visits_visit")
        first_id = cursor.fetchone()[0] + 1
    visits, companions, credits = [], [], []
    next_id = first_id
    modes = [Mode.ON_SITE] * 7 + [Mode.PHONE] * 2 + [Mode.VIDEO, Mode.MEETING, Mode.AT_OFFICE]
    statuses = [OperatingStatus.NORMAL] * 8 + [OperatingStatus.PARTIAL,
                                               OperatingStatus.CONSTRUCTION, ""]
    trends = [Trend.UP, Trend.FLAT, Trend.FLAT, Trend.DOWN, ""]

    def visited_at(week: date) -> datetime:
        last_day = (today - week).days if week == this_week else 6
        day = min(rng.choice([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5]), last_day)
        moment = datetime.combine(week + timedelta(days=day), datetime.min.time(), tz) + \
            timedelta(hours=rng.uniform(8.5, 17.5))
        return min(moment, now - timedelta(minutes=rng.randint(5, 600)))

    for week in weeks:
        for person, team in staff:
            count = max(0, round(rng.gauss(per_person_week, 1.5)))
            own = firms_of.get(person)
            for _i in range(count):
                if len(visits) >= needed:
                    break
                firm = (rng.choice(own) if own and rng.random() < 0.75
                        else rng.choice(enterprises))
                at = visited_at(week)
                is_draft = (today - week).days < 14 and rng.random() < 0.03
                visit_id, next_id = next_id, next_id + 1
                visits.append((
                    visit_id, at, week, rng.choice(modes), rng.choice(PURPOSES),
                    MARK + rng.choice(NOTES), rng.choice(statuses), rng.choice(trends),
                    rng.choice(trends), "", "", None, None,
                    VisitStatus.DRAFT if is_draft else VisitStatus.SUBMITTED, "[]",
                    None if is_draft else at + timedelta(hours=2), at, at, firm, person,
                ))
                people = [person]
                mates = by_team.get(team) or []
                if len(mates) > 1 and rng.random() < 1 / 7:
                    mate = rng.choice(mates)
                    if mate != person:
                        companions.append((visit_id, mate))
                        people.append(mate)
                if not is_draft:
                    credits.extend((visit_id, p, firm, week) for p in people)
    print(f"visits: {have:,} in the database, generating {len(visits):,} over "
          f"{len(weeks)} weeks for {len(staff):,} service staff "
          f"({time.perf_counter() - started:.1f} s)", flush=True)

    t = time.perf_counter()
    with bulk_load([Visit, QuotaCredit, Visit.companions.through]):
        n_visits = copy_rows("visits_visit", [
            "id", "visited_at", "week_start", "mode", "purpose", "notes", "operating_status",
            "orders_trend", "headcount_trend", "investment_plans", "policies_explained",
            "latitude", "longitude", "status", "pending_obstacles", "submitted_at",
            "created_at", "updated_at", "enterprise_id", "lead_visitor_id"], visits)
        n_companions = copy_rows(Visit.companions.through._meta.db_table,
                                 ["visit_id", "user_id"], companions)
        n_credits = copy_rows("visits_quotacredit",
                              ["visit_id", "user_id", "enterprise_id", "week_start"], credits)
        print(f"  COPY {n_visits:,} visits, {n_companions:,} companions, {n_credits:,} "
              f"quota credits: {time.perf_counter() - t:.1f} s", flush=True)
    with connection.cursor() as cursor:
        # explicit ids went in: move the identity past them
        cursor.execute("SELECT setval(pg_get_serial_sequence('visits_visit', 'id'), "
                       "(SELECT MAX(id) FROM visits_visit))")
        t = time.perf_counter()
        cursor.execute(LAST_VISITS_SQL)
        print(f"  last visit per firm: {cursor.rowcount:,} firms, "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        for table in ("visits_visit", "visits_quotacredit", "visits_visit_companions",
                      "visits_firmlastvisit"):
            cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"  VACUUM ANALYZE: {time.perf_counter() - t:.1f} s")
    print(f"filled in {time.perf_counter() - started:.0f} s; visits now "
          f"{Visit.objects.count():,}\n", flush=True)


# ---------------------------------------------------------------------- measure


def measure(args, url: str) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.test import Client
    from django.utils import timezone

    from approvals.choices import Role
    from bench.run import fmt, load
    from enterprises.models import Liaison
    from visits import selectors
    from visits.models import QuotaCredit, Visit

    User = get_user_model()
    today = timezone.localdate()
    liaisons = (Liaison.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today),
                                       staff__groups__name=Role.SERVICE_STAFF)
                .values("staff").annotate(n=Count("pk")).order_by("-n", "staff"))
    busiest, quiet = liaisons.first(), liaisons.last()
    staff_busy = User.objects.get(pk=busiest["staff"])
    staff_quiet = User.objects.get(pk=quiet["staff"])
    coordinator = User.objects.filter(groups__name=Role.COORDINATOR).order_by("pk").first()
    print(f"database {database_name(url)}: {Visit.objects.count():,} visits, "
          f"{QuotaCredit.objects.count():,} quota credits, weeks "
          f"{Visit.objects.order_by('week_start').values_list('week_start', flat=True).first()}"
          f" to {Visit.objects.order_by('-week_start').values_list('week_start', flat=True).first()}"
          f"; staff {staff_busy.username} ({busiest['n']} liaison firms) and "
          f"{staff_quiet.username} ({quiet['n']}); coordinator {coordinator.username}; "
          f"{args.requests} requests per page; load average {load()}\n", flush=True)

    clients = {}
    for user in (staff_busy, staff_quiet, coordinator):
        clients[user.pk] = Client(HTTP_HOST="localhost")
        clients[user.pk].force_login(user)
    pages = [
        ("my week (busiest staff)", staff_busy, "/visits/"),
        ("my week (quiet staff)", staff_quiet, "/visits/"),
        ("visit list, staff (team)", staff_busy, "/visits/all/"),
        ("visit list, coordinator (all)", coordinator, "/visits/all/"),
        ("coverage, staff", staff_busy, "/visits/coverage/"),
        ("coverage, coordinator (district)", coordinator, "/visits/coverage/"),
        ("weekly report, team (4 weeks)", staff_busy, "/visits/report/"),
        ("weekly report, office (4 weeks)", coordinator, "/visits/report/"),
    ]
    rows, missed = [], []
    for label, user, path in pages:
        median, p95, worst, cpu, queries = timed(clients[user.pk], path, args.requests)
        rows.append((label, median, p95, worst, cpu, queries))
        print(f"{label}: median {median:.0f} ms, p95 {p95:.0f} ms, max {worst:.0f} ms, "
              f"cpu {fmt(cpu)}, {queries} queries", flush=True)
        if p95 >= TARGET_PAGE_P95_MS:
            missed.append(f"{label}: p95 {p95:.0f} ms (target < {TARGET_PAGE_P95_MS} ms)")
    queries = {label: q for label, *_x, q in rows}
    if queries["my week (busiest staff)"] != queries["my week (quiet staff)"]:
        missed.append("my week: the query count depends on the person")

    # the Monday e-mail's report for the whole office, without the page around it
    week = today - timedelta(days=7)
    times = []
    t = time.perf_counter()
    selectors.weekly_report(week)
    count = SLOW_REQUESTS if time.perf_counter() - t > SLOW_S else args.requests
    for _i in range(count):
        t = time.perf_counter()
        report = selectors.weekly_report(week)
        times.append((time.perf_counter() - t) * 1000)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.run import percentile

    with CaptureQueriesContext(connection) as captured:
        selectors.weekly_report(week)
    print(f"weekly_report() for the office, last week ({len(report):,} people): median "
          f"{statistics.median(times):.0f} ms, p95 {percentile(times, 95):.0f} ms, "
          f"{len(captured.captured_queries)} queries")
    rows.append(("weekly_report() office, one week", statistics.median(times),
                 percentile(times, 95), max(times), None, len(captured.captured_queries)))

    print(f"\n{'figure':<40} {'median':>8} {'p95':>8} {'max':>8} {'cpu':>8} {'queries':>8}"
          "  target")
    for label, median, p95, worst, cpu, q in rows:
        cells = " ".join(f"{fmt(v):>8}" for v in (median, p95, worst, cpu))
        print(f"{label:<40} {cells} {q:>8}  p95 < {TARGET_PAGE_P95_MS} ms")
    print(f"\nload average at the end {load()}")

    total = transfer_size(clients[staff_busy.pk])
    if total >= TARGET_FORM_KB * 1024:
        missed.append(f"visit form first load: {total / 1024:.1f} KB gzip "
                      f"(target < {TARGET_FORM_KB} KB)")
    return missed


def timed(client, path: str, count: int) -> tuple[float, float, float, float | None, int]:
    """Median, p95, max wall ms; median CPU ms (Django + its backend); queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.run import backend_cpu_ns, percentile

    def get():
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"bench: GET {path} answered {response.status_code}")

    t = time.perf_counter()
    for _i in range(3):
        get()
    if (time.perf_counter() - t) / 3 > SLOW_S:
        count = min(count, SLOW_REQUESTS)  # a page of seconds: its figure is clear anyway
    with CaptureQueriesContext(connection) as captured:
        get()
    queries = len(captured.captured_queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    times, cpu = [], []
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


# ---------------------------------------------------------------------- transfer


ASSET = re.compile(r'<(?:link[^>]+rel="stylesheet"[^>]*href|script[^>]+src)="([^"]+)"')
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


def transfer_size(client) -> int:
    """Print and return the gzip bytes of the visit form's first load: the page
    and the stylesheets, scripts and fonts (url() in the CSS) it references.
    Static files are read through the staticfiles finders (the bench runs
    without a collected STATIC_ROOT), so the sizes are those of this checkout."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    response = client.get("/visits/new/", HTTP_ACCEPT_ENCODING="gzip")
    if response.status_code != 200:
        sys.exit(f"bench: GET /visits/new/ answered {response.status_code}")
    html = response.content
    sent_gzip = response.get("Content-Encoding") == "gzip"
    items = [("/visits/new/ (HTML)", len(gzip.decompress(html)) if sent_gzip else len(html),
              len(html) if sent_gzip else len(gzip.compress(html, 6)))]
    seen: set[str] = set()
    queue = ASSET.findall(html.decode() if not sent_gzip else gzip.decompress(html).decode())
    while queue:
        url = queue.pop(0)
        if url in seen or not url.startswith(settings.STATIC_URL):
            continue
        seen.add(url)
        path = finders.find(url[len(settings.STATIC_URL):].split("?")[0])
        if path is None:
            sys.exit(f"bench: the visit form references {url}, which is not a static file")
        with open(path, "rb") as f:
            body = f.read()
        items.append((url, len(body), len(gzip.compress(body, 9))))
        if url.endswith(".css"):
            base = url.rsplit("/", 1)[0] + "/"
            for ref in CSS_URL.findall(body.decode("utf-8", "replace")):
                if not ref.startswith(("data:", "http:", "https:", "//")):
                    queue.append(ref if ref.startswith("/") else base + ref)
    raw = sum(r for _u, r, _g in items)
    packed = sum(g for _u, _r, g in items)
    print("\nvisit form, first load (nothing cached):")
    for url, r, g in items:
        print(f"  {url:<44} {r / 1024:7.1f} KB raw {g / 1024:7.1f} KB gzip")
    print(f"  {'total':<44} {raw / 1024:7.1f} KB raw {packed / 1024:7.1f} KB gzip "
          f"(target < {TARGET_FORM_KB} KB)")
    return packed


if __name__ == "__main__":
    main()
