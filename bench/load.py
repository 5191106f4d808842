"""Bounded load test: 50 people for 60 s against gunicorn on the bench database,
with 2 gunicorn workers and then 4, to show how the desk scales with workers.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.load
    python -m bench.load --users 50 --seconds 60 --workers 2 4 --wait 1,2

Loopback only: gunicorn listens on 127.0.0.1 and locust (``bench/locustfile.py``,
headless, ``--run-time``) stops by itself. The mix: coordinators on the ledger
and task pages, service staff on their week, the visit form and past visits,
firm users on the portal home, their obstacles and one obstacle's page (see the
locustfile for the weights). Each simulated person waits ``--wait`` seconds
between pages, as someone reading does.

The server runs with production settings (``DEBUG`` off, the static manifest,
``CONN_MAX_AGE=60``, Redis as the cache on database 3, the JSON access log to
a file) except that there is no TLS proxy (``SECURE_SSL_REDIRECT=False``) and
the second factor is not asked for (the sessions are made here, not typed in).

What it writes to the bench database, and removes again at the end (also after
an error or Ctrl-C): one session per simulated login (``django_session``) and
five firm users (``bench_load_firm_N``) with their memberships and grants on
the five enterprises with the most obstacles. Nothing else changes.

Prints, per worker count: requests per second, p50/p95/p99 in ms, errors, and
the load average before and after (the machine has 2 cores and may be shared:
read the figures with it). Exits 1 when a run misses p95 < 300 ms or has errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import configure, database_name

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "load"
TARGET_P95_MS = 300  # issue #11
FIRM_PREFIX = "bench_load_firm_"


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated people")
    parser.add_argument("--seconds", type=int, default=60, help="length of each run")
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4],
                        help="gunicorn worker counts, one run each")
    parser.add_argument("--wait", default="1,2", help="think time between pages: min,max s")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (0: a free one)")
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
    OUT.mkdir(parents=True, exist_ok=True)
    for old in (*OUT.glob("locust-*"), *OUT.glob("gunicorn-*.log")):
        old.unlink()  # static/ stays: collectstatic is quicker when it has little to do
    made = Made()
    try:
        plan = prepare(made)
        (OUT / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        env = server_env(url)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                       cwd=ROOT, env=env, check=True)
        connection.close()  # gunicorn's workers open their own
        print(f"database {database_name(url)}; {args.users} users for {args.seconds} s "
              f"per run, think time {args.wait} s; {os.cpu_count()} CPUs\n", flush=True)
        results = [run(args, env, workers) for workers in args.workers]
    finally:
        made.undo()
    report(results)


class Made:
    """What this run wrote to the bench database, to remove at the end."""

    def __init__(self):
        self.sessions: list[str] = []
        self.user_ids: list[int] = []

    def undo(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=self.sessions).delete()
        get_user_model().objects.filter(pk__in=self.user_ids).delete()
        left = get_user_model().objects.filter(username__startswith=FIRM_PREFIX).count()
        print(f"\nremoved {len(self.sessions)} sessions and {len(self.user_ids)} firm users "
              f"({left} left)")


def session_for(user, made: Made) -> str:
    """A logged-in session, as ``login()`` leaves it, without a request."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "approvals.auth.UsernameOrMobileBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    made.sessions.append(store.session_key)
    return store.session_key


def prepare(made: Made) -> dict:
    """Sessions for 5 coordinators, 20 service staff with firms to look after and
    5 new firm users; the task, visit and obstacle ids their pages open."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Max

    from approvals.choices import Role
    from approvals.models import Obstacle, Task
    from enterprises.models import Enterprise
    from enterprises.services import membership_add
    from visits.models import Visit

    User = get_user_model()
    rng = random.Random(11)
    coordinators = list(User.objects.filter(groups__name=Role.COORDINATOR, is_active=True)
                        .order_by("username")[:5])
    staff = list(User.objects.filter(groups__name=Role.SERVICE_STAFF, is_active=True,
                                     liaisons__isnull=False).distinct().order_by("username")[:20])
    if not coordinators or not staff:
        sys.exit("bench: no coordinators or service staff; run bench.generate first")
    top = rng.sample(range(1, Task.objects.aggregate(m=Max("pk"))["m"] + 1), 3000)
    tasks = list(Task.objects.filter(pk__in=top, role="lead").values_list("pk", flat=True)[:300])
    busiest = (Obstacle.objects.values("enterprise").annotate(n=Count("pk"))
               .order_by("-n", "enterprise")[:5])
    firms = []
    for i, row in enumerate(busiest):
        user = User.objects.create_user(f"{FIRM_PREFIX}{i}", password=None)
        made.user_ids.append(user.pk)
        enterprise = Enterprise.objects.get(pk=row["enterprise"])
        membership_add(user=user, enterprise=enterprise)
        obstacles = list(Obstacle.objects.filter(enterprise=enterprise)
                         .order_by("-pk").values_list("pk", flat=True)[:30])
        firms.append({"session": session_for(user, made), "obstacles": obstacles})
    return {
        "coordinator": [{"session": session_for(u, made)} for u in coordinators],
        "staff": [{"session": session_for(u, made),
                   "visits": list(Visit.objects.filter(lead_visitor=u).order_by("-pk")
                                  .values_list("pk", flat=True)[:20])} for u in staff],
        "firm": firms,
        "tasks": tasks,
    }


def server_env(url: str) -> dict:
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"TESTING", "DEBUG"}}
    env.update({
        # the sessions made here are signed with this process's key, and the
        # personal data the bench tools wrote is encrypted with keys derived from it
        "SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings", "DEBUG": "False",
        "TESTING": "False", "DATABASE_URL": url, "CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "False", "TWO_FACTOR_REQUIRED": "False",
        "CACHE_URL": os.environ.get("LOAD_CACHE_URL", "redis://127.0.0.1:6379/3"),
        "CELERY_BROKER_URL": os.environ.get("LOAD_BROKER_URL", "redis://127.0.0.1:6379/4"),
        "STATIC_ROOT": str(OUT / "static"), "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_FORMAT": "json", "LOG_LEVEL": "WARNING", "GUNICORN_MAX_REQUESTS": "0",
    })
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env: dict, workers: int) -> dict:
    port = args.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    log = (OUT / f"gunicorn-{workers}.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT,
        env={**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_healthy(base, server)
        # one warm request per page kind so the first second is not all imports
        for path in ("/healthz", "/accounts/login/"):
            urllib.request.urlopen(base + path, timeout=30).read()  # noqa: S310
        before = os.getloadavg()
        prefix = OUT / f"locust-{workers}"
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
             "--headless", "--users", str(args.users), "--spawn-rate", str(args.users),
             "--run-time", f"{args.seconds}s", "--stop-timeout", "10", "--host", base,
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
            cwd=ROOT, check=False, timeout=args.seconds + 120,
            env={**os.environ, "LOAD_PLAN": str(OUT / "plan.json"), "LOAD_WAIT": args.wait})
        after = os.getloadavg()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    return {"workers": workers, **summary(prefix), "load_before": before[0],
            "load_after": after[0]}


def wait_healthy(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"bench: gunicorn exited; see {OUT}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit("bench: gunicorn did not answer /healthz in 90 s")


def summary(prefix: Path) -> dict:
    """The aggregated row of locust's statistics, and each page's p95."""
    with open(f"{prefix}_stats.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    pages = {r["Name"]: (int(r["Request Count"]), float(r["95%"])) for r in rows
             if r["Name"] != "Aggregated"}
    return {"requests": int(total["Request Count"]), "errors": int(total["Failure Count"]),
            "rps": float(total["Requests/s"]), "p50": float(total["50%"]),
            "p95": float(total["95%"]), "p99": float(total["99%"]),
            "max": float(total["Max Response Time"]), "pages": pages}


def report(results: list[dict]) -> None:
    missed = []
    for r in results:
        print(f"\n{r['workers']} gunicorn workers: per page (requests, p95 ms)")
        for name, (count, p95) in sorted(r["pages"].items()):
            print(f"  {name:28} {count:6} {p95:8.0f}")
    print(f"\n{'workers':>7} {'requests':>9} {'rps':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'max ms':>7} {'errors':>6}  load avg before/after")
    for r in results:
        print(f"{r['workers']:>7} {r['requests']:>9} {r['rps']:>7.1f} {r['p50']:>7.0f} "
              f"{r['p95']:>7.0f} {r['p99']:>7.0f} {r['max']:>7.0f} {r['errors']:>6}  "
              f"{r['load_before']:.1f} / {r['load_after']:.1f}")
        if r["p95"] >= TARGET_P95_MS or r["errors"]:
            missed.append(f"{r['workers']} workers: p95 {r['p95']:.0f} ms, "
                          f"{r['errors']} errors")
    if missed:
        print(f"MISSED (p95 < {TARGET_P95_MS} ms, no errors): " + "; ".join(missed))
        sys.exit(1)
    print(f"all runs met p95 < {TARGET_P95_MS} ms with no errors")


if __name__ == "__main__":
    main()
