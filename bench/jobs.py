"""The scheduled jobs' scans at city scale, measured and rolled back.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench .venv/bin/python -m bench.jobs [--today YYYY-MM-DD]

Runs the overdue escalation (``approvals.services.escalate_overdue`` plus the
notices to heads, owners and leaders) and the deadline reminder scan over the
bench database, each twice (the second run must find nothing left to do), then
the callback-due and licence-expiry scans, and the chase notices (催办通知书:
the selection of every task owed one today, the render of the first few, the
announcement), printing wall time and query count of each. Everything happens in ONE transaction that is rolled back at the end,
the notifications tables included when the bench database has not been
migrated for them (PostgreSQL DDL is transactional): the bench data is left
exactly as it was. E-mail is never sent (it goes out only after a commit).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

from bench.common import configure
from bench.run import backend_cpu_ns


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--today", type=date.fromisoformat, default=None,
                        help="the day the jobs believe it is (default: today)")
    parser.add_argument("--slowest", type=int, default=0,
                        help="also print the N slowest statements of each scan")
    parser.add_argument("--width", type=int, default=160, help="characters of SQL shown")
    parser.add_argument("--chase-pdfs", type=int, default=5,
                        help="chase notices rendered (the rest of the due tasks are "
                             "only selected)")
    args = parser.parse_args(argv)
    configure(create_database=False)

    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from approvals.choices import OPEN_STATES
    from approvals.models import Task
    from notifications import jobs
    from notifications.models import Delivery, JobRun, Notification, NotificationPreference

    today = args.today or timezone.localdate()
    print(f"bench.jobs on {connection.settings_dict['NAME']}, today = {today}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"tasks: {Task.objects.count():,}, open: {Task.objects.filter(state__in=OPEN_STATES).count():,}, "
          f"open and overdue: {Task.objects.overdue(today).count():,}")
    rows = []

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend_pid = cursor.fetchone()[0]

    def measure(label, fn, **kwargs):
        before = Delivery.objects.count()
        with CaptureQueriesContext(connection) as queries:
            backend = backend_cpu_ns(backend_pid) or 0
            mine = time.process_time()
            start = time.perf_counter()
            result = fn(**kwargs)
            seconds = time.perf_counter() - start
            # this process and its PostgreSQL backend: what the scan costs
            # whatever else the machine is doing
            cpu = time.process_time() - mine + (
                (backend_cpu_ns(backend_pid) or 0) - backend) / 1e9
        made = Delivery.objects.count() - before
        in_sql = sum(float(q["time"]) for q in queries.captured_queries)
        rows.append((label, seconds, cpu, in_sql, len(queries), made, result))
        print(f"  {label:<34} {seconds:7.2f} s ({in_sql:5.2f} s in SQL, {cpu:5.2f} s cpu) "
              f"{len(queries):3d} queries  {made:7,} notices  result={result}")
        if args.slowest:
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:args.slowest]:
                print(f"      {float(q['time']):6.2f} s  {q['sql'][:args.width]}")

    with transaction.atomic():
        existing = set(connection.introspection.table_names())
        with connection.schema_editor() as editor:
            for model in (JobRun, Delivery, Notification, NotificationPreference):
                if model._meta.db_table not in existing:
                    editor.create_model(model)
        measure("escalation scan (1st run)", jobs.escalate_overdue_job, today=today)
        measure("escalation scan (2nd run)", jobs.escalate_overdue_job, today=today)
        measure("deadline reminder scan (1st run)", jobs.deadline_reminder_job, today=today)
        measure("deadline reminder scan (2nd run)", jobs.deadline_reminder_job, today=today)
        measure("callback due scan", jobs.callback_due_job, today=today)
        measure("licence expiry scan", jobs.licence_expiry_job, today=today)
        chase_figures(measure, today=today, render=args.chase_pdfs)
        transaction.set_rollback(True)
    print("rolled back: the bench database is unchanged")
    print()
    print(f"load average {os.getloadavg()[0]:.1f} / {os.getloadavg()[1]:.1f} at the end")
    print("| scan | time | of which SQL | cpu (process + backend) | queries | notices |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, seconds, cpu, in_sql, queries, made, _result in rows:
        print(f"| {label} | {seconds:.2f} s | {in_sql:.2f} s | {cpu:.2f} s | {queries} "
              f"| {made:,} |")


def chase_figures(measure, *, today, render: int) -> None:
    """催办通知书: the set-wise selection of the tasks owed a notice today, the
    render and archive of the first ``render`` of them (to a temporary folder:
    the rollback does not remove files), and the notices' announcement."""
    import tempfile

    from django.core.files.storage import FileSystemStorage

    from insight import services as insight_services
    from insight.models import ChaseNotice
    from notifications import jobs

    def select():
        return list(insight_services.chase_due(today).values_list("pk", flat=True))

    field = ChaseNotice._meta.get_field("file")
    kept = field.storage
    with tempfile.TemporaryDirectory() as folder:
        field.storage = FileSystemStorage(location=folder)
        try:
            measure("chase notices: select due", lambda: len(select()))
            due = select()[:render]

            def issue():
                return sum(1 for pk in due
                           if insight_services.chase_notice_create(task_id=pk, today=today))

            measure(f"chase notices: render {len(due)}", issue)
            measure("chase notices: announce", lambda: jobs.notify_chase_notices(
                jobs.JobRun.objects.create(job="bench", started_at=jobs.timezone.now()),
                ChaseNotice.objects.filter(issued_on=today)))
        finally:
            field.storage = kept


if __name__ == "__main__":
    main()
