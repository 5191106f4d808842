"""Integrity figures (#10) on a database filled by ``bench.generate``.

    DATABASE_URL=postgres://root@127.0.0.1:5432/bench python -m bench.insight

(a) the silent-task scan over every task (target < 5 s), then the same scan
again, which must write nothing, and the delivery of the reminders it wrote
(owner, and heads at the last rung), twice (the second must send nothing); (b) clustering a month of obstacles into
common-issue suggestions (target < 30 s for 20,000): the busiest month's
obstacles as stored, and, because the generator writes only 18 distinct texts,
the same number of obstacles with varied synthetic texts (a few words drawn from
a 100-word vocabulary per text: many shared terms, the hard case for an
inverted index).

Everything runs in one transaction that is rolled back at the end: the
reminder and notification tables are created inside it when the bench database
has not been migrated to this code, and no row stays behind. E-mail is never
sent (it goes out only after a commit). Exits 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import timedelta

from bench.common import configure, database_name
from bench.run import backend_cpu_ns

TARGET_SCAN_S = 5.0
TARGET_CLUSTER_S = 30.0

VOCABULARY = (
    "用电 报装 增容 厂房 规划 用地 消防 验收 施工 许可 材料 补正 燃气 费用 标准 审批 环评 "
    "排污 税务 发票 退税 社保 招工 融资 贷款 担保 物流 道路 交通 停车 用水 管网 土地 出让 "
    "产权 登记 不动产 电网 负荷 变压器 跨部门 窗口 网办 系统 数据 共享 证照 营业执照 变更 "
    "注销 人才 公寓 子女 入学 补贴 兑现 政策 申报 专项 资金 拖欠 账款 检查 执法 处罚 整改 "
    "噪音 扰民 信访 投诉 供热 蒸汽 污水 排放 配套 学校 医院 公交 线路 站点 园区 厂区 围墙 "
    "拆迁 征收 补偿 安置 评估 测绘 设计 图纸 审查 备案 竣工 交付 质量 安全").split()


class _Rollback(Exception):
    pass


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.insight", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--obstacles", type=int, default=20000,
                        help="obstacles in the clustered month (the busiest month's "
                             "first N)")
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--colours", action="store_true",
                        help="also (c): backfill the colour history of every task and "
                             "time the league table's days-red query on last year")
    return parser.parse_args(argv)


def timed(fn, *args, **kwargs):
    """(result, wall seconds, CPU seconds of this process plus its PostgreSQL
    backend): on a busy machine the wall time is the CPU time times the
    contention, so both are printed (as bench.run does)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    backend = backend_cpu_ns(pid) or 0
    mine = time.process_time()
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    wall = time.perf_counter() - t
    cpu = time.process_time() - mine + ((backend_cpu_ns(pid) or 0) - backend) / 1e9
    return result, wall, cpu


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"


def main(argv=None) -> int:
    args = parse(argv)
    url = configure(create_database=False)
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models import Count
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from approvals.choices import OPEN_STATES
    from approvals.models import Obstacle, Task
    from insight import clustering, selectors, services
    from insight.models import SilentNudge
    from notifications.jobs import silent_nudges_job
    from notifications.models import Delivery, JobRun, Notification, NotificationPreference

    print(f"bench.insight on {database_name(url)}; {load()}")
    failed = []
    try:
        with transaction.atomic():
            existing = set(connection.introspection.table_names())
            with connection.schema_editor(atomic=False) as editor:
                for model in (SilentNudge, JobRun, Delivery, Notification,
                              NotificationPreference):
                    if model._meta.db_table not in existing:
                        editor.create_model(model)
            tasks = Task.objects.count()
            open_tasks = Task.objects.filter(state__in=OPEN_STATES).count()
            # the scan as the beat runs it: today is the day after the newest data
            counts, scan_s, scan_cpu = timed(services.silent_scan)
            again, again_s, again_cpu = timed(services.silent_scan)
            print(f"(a) silent scan: {tasks:,} tasks, {open_tasks:,} open")
            print(f"    first run writes {counts}: {scan_s:.2f} s wall, {scan_cpu:.2f} s cpu")
            print(f"    second run writes {again}: {again_s:.2f} s wall, {again_cpu:.2f} s "
                  f"cpu (target < {TARGET_SCAN_S:.0f} s)")
            if min(scan_s, scan_cpu) > TARGET_SCAN_S or any(again.values()):
                failed.append("silent scan")
            sent, send_s, send_cpu = timed(silent_nudges_job)
            resent, resend_s, resend_cpu = timed(silent_nudges_job)
            print(f"    delivering the reminders: {sent:,} notices in {send_s:.2f} s wall, "
                  f"{send_cpu:.2f} s cpu; again: {resent} in {resend_s:.2f} s wall, "
                  f"{resend_cpu:.2f} s cpu")
            if resent:
                failed.append("silent delivery twice")

            today = timezone.localdate()
            end_prev = today.replace(day=1) - timedelta(days=1)
            named, named_s, named_cpu = timed(selectors.bulletin_late_tasks,
                                              end_prev.replace(day=1), end_prev, today=today)
            print(f"    the bulletin's tasks still late five working days after the deadline, "
                  f"{end_prev:%Y-%m}: {len(named):,} in {named_s:.2f} s wall, "
                  f"{named_cpu:.2f} s cpu")

            busiest = (Obstacle.objects.annotate(m=TruncMonth("received_at")).values("m")
                       .annotate(n=Count("pk")).order_by("-n").first())
            start = busiest["m"]
            end = (start + timedelta(days=32)).replace(day=1)
            rows, fetch_s, fetch_cpu = timed(lambda: [
                (pk, cat, ent, f"{title}。{description}") for pk, cat, ent, title, description
                in Obstacle.objects.filter(received_at__gte=start, received_at__lt=end)
                .order_by("pk").values_list("pk", "category_id", "enterprise_id", "title",
                                            "description")[:args.obstacles]])
            threshold = settings.DESK["COMMON_ISSUE_SIMILARITY"]
            clustering.tokens("预热")  # jieba loads its dictionary once per process
            found, stored_s, stored_cpu = timed(clustering.suggest, rows, threshold=threshold)
            print(f"(b) clustering {len(rows):,} obstacles of {start:%Y-%m} as stored "
                  f"({len({r[3] for r in rows})} distinct texts): fetch {fetch_s:.2f} s "
                  f"wall, {fetch_cpu:.2f} s cpu; suggest {stored_s:.2f} s wall, "
                  f"{stored_cpu:.2f} s cpu -> {len(found)} groups")
            rng = random.Random(args.seed)
            varied = [(pk, cat, ent, "".join(rng.choice(VOCABULARY)
                                             for _ in range(rng.randint(6, 14))) + "，进度慢。")
                      for pk, cat, ent, _text in rows]
            found_v, varied_s, varied_cpu = timed(clustering.suggest, varied,
                                                  threshold=threshold)
            sizes = sorted((len(s.obstacle_ids) for s in found_v), reverse=True)[:3]
            print(f"    varied texts ({len({r[3] for r in varied}):,} distinct): suggest "
                  f"{varied_s:.2f} s wall, {varied_cpu:.2f} s cpu -> {len(found_v)} groups, "
                  f"largest {sizes} (target < {TARGET_CLUSTER_S:.0f} s)")
            if min(fetch_s + varied_s, fetch_cpu + varied_cpu) > TARGET_CLUSTER_S:
                failed.append("clustering")
            if args.colours:
                colour_figures(timed)
            raise _Rollback
    except _Rollback:
        pass
    print(f"rolled back at {timezone.now():%Y-%m-%d %H:%M:%S}; nothing written")
    if failed:
        print("MISSED: " + ", ".join(failed))
        return 1
    return 0


def colour_figures(timed) -> None:
    """(c) The one-off backfill (``manage.py colour_sweep``) over every task, a
    second sweep (nothing to do), and the query the league table adds for the
    median days red, over last year's tasks."""
    from datetime import datetime

    from django.db import connection
    from django.utils import timezone

    from approvals import colours
    from approvals.models import ColourSpan, Task

    # only the new table: altering the task table would lock it against every
    # other reader of the bench database until the rollback
    with connection.schema_editor(atomic=False) as editor:
        editor.create_model(ColourSpan)
    opened, wall, cpu = timed(colours.sweep)
    print(f"(c) colour backfill: {opened:,} spans in {wall:.1f} s wall, {cpu:.1f} s cpu")
    with connection.cursor() as cursor:
        # what autovacuum does to a freshly filled table before the planner uses it
        cursor.execute(f"ANALYZE {ColourSpan._meta.db_table}")
    again, wall, cpu = timed(colours.sweep)
    print(f"    second sweep: {again:,} spans in {wall:.2f} s wall, {cpu:.2f} s cpu")
    year = timezone.localdate().year - 1
    # the same set as approvals.selectors.kpis: assigned in the year
    tasks = Task.objects.filter(
        assigned_at__gte=timezone.make_aware(datetime(year, 1, 1)),
        assigned_at__lt=timezone.make_aware(datetime(year + 1, 1, 1)),
        department__isnull=False)
    histogram, wall, cpu = timed(colours.red_days_by_task, tasks,
                                 today=timezone.localdate(),
                                 since=timezone.make_aware(datetime(year, 1, 1)))
    red = sum(n for h in histogram.values() for n in h.values())
    print(f"    the league table's extra query (days red of {year}'s tasks): {wall:.2f} s "
          f"wall, {cpu:.2f} s cpu; {red:,} tasks were red")


if __name__ == "__main__":
    sys.exit(main())
