"""The data behind ``bench.generate``: a district's registry and three years of
the closed loop, written with PostgreSQL COPY.

Shapes follow what the desk's own services would have written (see
``approvals/services.py``): one lead task per obstacle and ~20% co-handling
tasks; an event per transition (returns carry the returning department);
deadlines on the official calendar; escalation levels as the overdue job sets
them; callbacks, ratings, close-out approvals; ``resolution_working_days`` and
``resolved_on_time`` as ``task_resolve`` computes them. Most of the three years
is closed; the last weeks are open, some overdue and escalated.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from psycopg import sql

from approvals.calendar import is_working_day
from approvals.choices import (
    OPEN_STATES,
    Channel,
    DepartmentKind,
    Role,
    TaskRole,
    TaskState,
    Urgency,
)
from approvals.management.commands.seed_demo import (
    CATEGORIES,
    DEPARTMENTS,
    GIVEN,
    NAME_CORE,
    NAME_PREFIX,
    NAME_TRADE,
    OBSTACLES,
    STREETS,
    SURNAMES,
)
from approvals.models import (
    ApprovalRequest,
    Callback,
    ColourSpan,
    Department,
    Obstacle,
    ObstacleCategory,
    Profile,
    Task,
    TaskEvent,
)
from audit.fields import EncryptedCharField, blind_index, encrypt
from enterprises.models import Contact, Enterprise, Industry, Liaison, Street
from enterprises.validators import generate_credit_code
from visits.models import ServiceTeam

TZ = ZoneInfo(settings.TIME_ZONE)
DIVISION = "330106"
CHUNK = 25_000  # obstacles per round of COPY

EXTRA_STREETS = [("330106010", "文新东街道"), ("330106011", "北山西街道"),
                 ("330106102", "龙坞镇"), ("330106103", "之江镇")]
EXTRA_DEPARTMENTS = [
    ("jtj", "区交通运输局", DepartmentKind.GOVERNMENT, "0571-87002500"),
    ("wjw", "区卫生健康局", DepartmentKind.GOVERNMENT, "0571-87002600"),
    ("lxjd", "留下街道办事处", DepartmentKind.STREET, "0571-87003300"),
]
INDUSTRY_WEIGHTS = {"C": 22, "F": 20, "I": 10, "L": 10, "M": 8, "E": 6, "G": 5, "H": 5, "K": 3,
                    "J": 2, "R": 2, "Q": 2, "O": 2, "A": 1, "P": 1, "D": 0.5, "N": 0.5,
                    "S": 0.3, "B": 0.2}
CHANNELS = [Channel.VISIT, Channel.HOTLINE, Channel.PORTAL, Channel.WINDOW, Channel.OTHER]
CHANNEL_WEIGHTS = [45, 25, 15, 10, 5]
# state of a lead task by the age of its obstacle (days): most of the past is closed
STATE_BY_AGE = [
    (3, {"submitted": 35, "assigned": 30, "in_progress": 25, "resolved": 5, "rejected": 5}),
    (30, {"submitted": 4, "assigned": 10, "in_progress": 40, "resolved": 25, "closing": 8,
          "closed": 10, "rejected": 3}),
    (90, {"submitted": 0.5, "assigned": 2, "in_progress": 10, "resolved": 10, "closing": 6,
          "closed": 68, "rejected": 3.5}),
    (10**6, {"assigned": 0.3, "in_progress": 1.2, "resolved": 1.5, "closing": 0.5,
             "closed": 93, "rejected": 3.5}),
]
RATINGS, RATING_WEIGHTS = [5, 4, 3], list(accumulate([62, 26, 12]))
CHANNEL_WEIGHTS = list(accumulate(CHANNEL_WEIGHTS))
STATE_CHOICES = [(limit, list(w), list(accumulate(w.values()))) for limit, w in STATE_BY_AGE]
DONE = ("resolved", "closing", "closed")
RANK = {"submitted": 0, "rejected": 0, "assigned": 1, "in_progress": 2, "resolved": 3,
        "closing": 4, "closed": 5}
TEXT = {
    "assign": "请按时限办理并及时反馈企业。", "accept": "已受理，正在协调。",
    "note": "已联系企业了解情况，正在内部会商。", "return": "该事项不属于本单位职责，建议交由行业主管部门办理。",
    "ruling": "经职责边界厘清，由该单位牵头办理。", "reject": "属于司法诉讼事项，已告知企业通过法律途径解决。",
    "resolve": "已现场办结，相关手续已办理完毕并告知企业。", "co_report": "已完成本单位配合事项。",
    "callback": "企业对办理结果表示认可。", "bad_callback": "企业反映问题未彻底解决。",
    "reopen": "企业不满意，整改。", "close": "回访满意，同意销号。",
    "escalate": "Overdue: escalated automatically.", "extension": "需等待上级部门批复，申请延期五个工作日。",
}


def _model_for(table_name: str):
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table_name:
            return model
    return None


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY ``rows`` (tuples in ``columns`` order) into ``table``.

    As the ORM would write them: a NOT NULL column the generator does not
    name gets its field's default (so a field added later needs no change
    here), and an encrypted column (``audit.fields.EncryptedCharField``) is
    written as its Fernet token, so pages pay for decryption as they do live."""
    model = _model_for(table)
    columns = list(columns)
    extra: list = []
    encrypted: list[int] = []
    if model is not None:
        for field in model._meta.concrete_fields:
            if field.column in columns:
                if isinstance(field, EncryptedCharField):
                    encrypted.append(columns.index(field.column))
                continue
            if field.null or field.primary_key or not field.has_default() \
                    or field.has_db_default():
                continue
            columns.append(field.column)
            extra.append(field.get_db_prep_save(field.get_default(), connection))
    extra_tuple = tuple(extra)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
    n = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            if encrypted:
                row = list(row)
                for i in encrypted:
                    if row[i]:
                        row[i] = encrypt(row[i])
            copy.write_row(tuple(row) + extra_tuple if extra_tuple else row)
            n += 1
    return n


def table(model) -> str:
    return model._meta.db_table


@contextmanager
def bulk_load(models):
    """PostgreSQL's advice for populating a database: load without the
    foreign keys and non-unique indexes of the big tables, then put them back
    (a sorted index build and one join per foreign key instead of a B-tree
    insert and a trigger per row: minutes become seconds). Primary keys and
    unique indexes stay, so the load still refuses duplicates; re-adding a
    foreign key checks every row. Definitions are read back from the catalogue,
    so names and shapes are exactly what the migrations made."""
    names = [table(m) for m in models]
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [names])
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE NOT i.indisunique AND NOT i.indisprimary "
            "AND i.indrelid::regclass::text = ANY(%s)", [names])
        indexes = cursor.fetchall()
        for relation, name, _definition in foreign_keys:
            cursor.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(relation), sql.Identifier(name)))
        for name, _definition in indexes:
            cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    try:
        yield
    finally:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for relation, name, definition in foreign_keys:
                cursor.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier(relation), sql.Identifier(name)) + sql.SQL(definition))
        print(f"  {'indexes + foreign keys back':<28} {time.perf_counter() - t:6.1f} s  "
              f"{len(indexes)} indexes, {len(foreign_keys)} foreign keys (every row checked)",
              flush=True)


class WorkingDays:
    """The official calendar over the whole span, precomputed: ``add`` and
    ``between`` in O(1) on day ordinals (the same answers as
    ``approvals.calendar.add_working_days`` / ``working_days_between``)."""

    def __init__(self, start: date, end: date):
        self.base = start.toordinal()
        self.cum: list[int] = []
        self.days: list[int] = []
        for i in range((end - start).days + 1):
            d = start + timedelta(days=i)
            if is_working_day(d):
                self.days.append(d.toordinal())
            self.cum.append(len(self.days))

    def add(self, ordinal: int, n: int) -> int:
        """The n-th working day after ``ordinal`` (n >= 1)."""
        return self.days[self.cum[ordinal - self.base] + n - 1]

    def between(self, a: int, b: int) -> int:
        return self.cum[b - self.base] - self.cum[a - self.base]


class Filler:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)  # deterministic bench data, not security
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.today_o = self.today.toordinal()
        self.start = self.today - timedelta(days=365 * args.years)
        self._midnight: dict[int, datetime] = {}

    # ------------------------------------------------------------------ helpers

    def at(self, ordinal: int, hours: float) -> datetime:
        """An aware local datetime ``hours`` after midnight of day ``ordinal``."""
        midnight = self._midnight.get(ordinal)
        if midnight is None:
            d = date.fromordinal(ordinal)
            midnight = self._midnight[ordinal] = datetime(d.year, d.month, d.day, tzinfo=TZ)
        return midnight + timedelta(hours=hours)

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def step(self, label: str, started: float, **counts) -> None:
        figures = ", ".join(f"{n:,} {k}" for k, n in counts.items())
        print(f"  {label:<28} {time.perf_counter() - started:6.1f} s  {figures}", flush=True)

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        started = time.perf_counter()
        self.refuse_or_reset()
        self.reference_data()
        self.users()
        with bulk_load([Enterprise, Contact, Liaison, Obstacle, Task, TaskEvent, Callback,
                        ApprovalRequest, ColourSpan]):
            self.enterprises()
            self.closed_loop()
            self.colour_history()
        self.finish()
        print(f"done in {time.perf_counter() - started:.0f} s")

    def refuse_or_reset(self) -> None:
        busy = Enterprise.objects.exists() or Obstacle.objects.exists()
        if busy and not self.args.reset:
            raise SystemExit("bench: the database already holds data; run again with --reset "
                             "to truncate it (nothing was changed)")
        if self.args.reset:
            t = time.perf_counter()
            models = [Enterprise, Street, Contact, Liaison, Obstacle, ObstacleCategory, Task,
                      TaskEvent, Callback, ApprovalRequest, Department, Profile, ServiceTeam,
                      get_user_model()]
            names = sql.SQL(", ").join(sql.Identifier(table(m)) for m in models)
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(names))
            self.step("truncated", t)

    def reference_data(self) -> None:
        t = time.perf_counter()
        self.streets = [Street.objects.get_or_create(code=c, defaults={"name": n})[0].pk
                        for c, n in STREETS + EXTRA_STREETS]
        depts = {}
        for code, name, kind, phone in DEPARTMENTS + EXTRA_DEPARTMENTS:
            depts[code] = Department.objects.get_or_create(code=code, defaults={
                "name": name, "kind": kind, "office_phone": phone, "address": "区行政服务中心"})[0]
        self.departments = [d.pk for d in depts.values()]
        self.dept_name = {d.pk: d.name for d in depts.values()}
        leaves = []
        for order, ((code, name, dept, normal, urgent), children) in enumerate(CATEGORIES):
            parent = ObstacleCategory.objects.get_or_create(code=code, defaults={
                "name": name, "default_department": depts[dept], "limit_normal_days": normal,
                "limit_urgent_days": urgent, "sort_order": order * 10})[0]
            if not children:
                leaves.append(parent)
            for j, (ccode, cname, cdept, cn, cu) in enumerate(children):
                leaves.append(ObstacleCategory.objects.get_or_create(code=ccode, defaults={
                    "name": cname, "parent": parent, "default_department": depts[cdept],
                    "limit_normal_days": cn, "limit_urgent_days": cu,
                    "sort_order": order * 10 + j + 1})[0])
        titles = {}
        for title, code, description in OBSTACLES:
            titles.setdefault(code, []).append((title, description))
        # (pk, default department, normal days, urgent days, [(title, description)])
        self.categories = [
            (c.pk, c.default_department_id, c.limit_normal_days, c.limit_urgent_days,
             titles.get(c.code) or [(f"{c.name}方面的诉求", f"企业反映{c.name}方面的困难，希望协调解决。")])
            for c in leaves
        ]
        self.category_weights = list(accumulate(
            3 if c.code.startswith(("sdqn", "sgxk", "ghyd")) else 2
            if c.code in ("rz", "yg", "zcdx") else 1 for c in leaves))
        self.teams = [ServiceTeam.objects.get_or_create(name=f"第{i + 1}服务专班")[0]
                      for i in range(20)]
        self.step("reference data", t, streets=len(self.streets),
                  departments=len(self.departments), categories=ObstacleCategory.objects.count())

    def users(self) -> None:
        """2,000 staff in bulk: one password hash computed once, not set_password
        per user (a PBKDF2 hash is ~0.3 s)."""
        t = time.perf_counter()
        User = get_user_model()
        password = make_password(settings.DEMO_PASSWORD)
        groups = dict(Group.objects.values_list("name", "pk"))
        plan = [("coordinator", Role.COORDINATOR, None, 10), ("leader", Role.LEADER, None, 5)]
        for d in self.departments:
            plan.append((f"head_{d}", Role.DEPARTMENT_HEAD, d, 1))
            plan.append((f"officer_{d}", Role.DEPARTMENT_OFFICER, d, 30))
        taken = sum(n for *_x, n in plan)
        plan.append(("staff", Role.SERVICE_STAFF, None, max(self.args.staff - taken, 20)))
        people = []
        for prefix, role, dept, count in plan:
            for i in range(count):
                people.append((f"bench_{prefix}_{i:04d}", role, dept))
        users = User.objects.bulk_create(
            [User(username=u, password=password, email=f"{u}@example.gov.cn",
                  date_joined=self.now) for u, _r, _d in people], batch_size=1000)
        Profile.objects.bulk_create([
            Profile(user=user, display_name=self.person(), mobile=f"139{i:08d}",
                    department_id=dept,
                    team=self.teams[i % len(self.teams)] if role == Role.SERVICE_STAFF else None)
            for i, (user, (_u, role, dept)) in enumerate(zip(users, people, strict=True))
        ], batch_size=1000)
        User.groups.through.objects.bulk_create([
            User.groups.through(user_id=user.pk, group_id=groups[role])
            for user, (_u, role, _d) in zip(users, people, strict=True)
        ], batch_size=1000)
        by_role: dict[str, list[int]] = {}
        self.officers: dict[int, list[int]] = {}
        for user, (_u, role, dept) in zip(users, people, strict=True):
            by_role.setdefault(role, []).append(user.pk)
            if role == Role.DEPARTMENT_OFFICER:
                self.officers.setdefault(dept, []).append(user.pk)
        self.coordinators = by_role[Role.COORDINATOR]
        self.staff = by_role[Role.SERVICE_STAFF]
        self.step("users + profiles + groups", t, users=len(users))

    def enterprises(self) -> None:
        t = time.perf_counter()
        rng, n = self.rng, self.args.enterprises
        sections = list(INDUSTRY_WEIGHTS)
        weights = list(accumulate(INDUSTRY_WEIGHTS.values()))
        missing = set(sections) - set(Industry.objects.values_list("code", flat=True))
        if missing:
            raise SystemExit(f"bench: industries missing (migrate?): {sorted(missing)}")
        base = (Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
        codes: set[str] = set(Enterprise.objects.values_list("credit_code", flat=True))
        roads = ["文一西路", "天目山路", "古墩路", "紫金港路", "留和路", "文三路", "教工路"]
        rows = []
        for i in range(n):
            section = rng.choices(sections, cum_weights=weights)[0]
            code = generate_credit_code(rng, division=DIVISION)
            while code in codes:
                code = generate_credit_code(rng, division=DIVISION)
            codes.add(code)
            trade = rng.choice(NAME_TRADE.get(section, ["服务", "科技", "实业"]))
            name = (f"{rng.choice(NAME_PREFIX)}{rng.choice(NAME_CORE)}{rng.choice(NAME_CORE)}"
                    f"{trade}有限公司")
            scale = rng.choices(["large", "medium", "small", "micro"], [1, 5, 30, 64])[0]
            street = rng.choice(self.streets) if rng.random() < 0.92 else None
            created = self.now - timedelta(days=rng.randint(0, 365 * 4))
            rows.append((
                base + i + 1, name, code, self.person(),
                f"杭州市西湖区{rng.choice(roads)}{rng.randint(1, 999)}号", street, section, "",
                scale, Decimal(rng.choice([10, 50, 100, 200, 500, 1000, 3000, 5000, 20000])),
                self.today - timedelta(days=rng.randint(30, 365 * 25)),
                scale in ("large", "medium") or rng.random() < 0.05, rng.random() < 0.03,
                rng.random() < 0.02, "", "active" if rng.random() < 0.97 else "deregistered",
                created, created,
            ))
        copy_rows(table(Enterprise), [
            "id", "name", "credit_code", "legal_representative", "registered_address",
            "street_id", "industry_id", "industry_division", "scale", "registered_capital",
            "established_on", "is_above_scale", "is_key_project", "is_specialised", "tags",
            "status", "created_at", "updated_at"], rows)
        self.enterprise_ids = [r[0] for r in rows]
        contacts = []
        for pk in self.enterprise_ids:
            for k in range(1 + (rng.random() < 0.3)):
                contacts.append((pk, self.person(), rng.choice(["总经理", "行政主管", "财务负责人"]),
                                 f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
                                 f"c{pk}_{k}@example.com", k == 0))
        contacts = [row + (blind_index(row[3]),) for row in contacts]
        copy_rows(table(Contact), ["enterprise_id", "name", "position", "mobile", "email",
                                   "is_primary", "mobile_index"], contacts)
        # 包保: ~60% of firms have a current liaison; some had an earlier one
        self.liaison_of: dict[int, int] = {}
        liaisons = []
        for pk in self.enterprise_ids:
            if rng.random() < 0.15:
                begun = self.today - timedelta(days=rng.randint(800, 1400))
                liaisons.append((pk, rng.choice(self.staff), begun,
                                 begun + timedelta(days=rng.randint(180, 700))))
            if rng.random() < 0.6:
                staff = rng.choice(self.staff)
                self.liaison_of[pk] = staff
                liaisons.append((pk, staff, self.today - timedelta(days=rng.randint(1, 700)),
                                 None))
        copy_rows(table(Liaison), ["enterprise_id", "staff_id", "starts_on", "ends_on"],
                  liaisons)
        self.step("enterprises + contacts", t, enterprises=n, contacts=len(contacts),
                  liaisons=len(liaisons))

    # ------------------------------------------------------------------ the loop

    def closed_loop(self) -> None:
        t = time.perf_counter()
        self.cal = WorkingDays(self.start - timedelta(days=30),
                               self.today + timedelta(days=400))
        self.cutoff2 = self._level2_cutoff()
        ob_base = Obstacle.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        task_base = Task.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        self.next_task = task_base + 1
        self._done = 0
        # a few firms raise many obstacles, most raise a few
        self.firm_pool = self.enterprise_ids[:]
        self.rng.shuffle(self.firm_pool)
        totals = dict.fromkeys(("obstacles", "tasks", "events", "callbacks", "approvals"), 0)
        n = self.args.obstacles
        # Ages in days, oldest first, so ids grow with time as on a live desk
        # (open tasks sit in the last pages of the table, not everywhere);
        # more obstacles in recent years: the desk grew.
        span = (self.today - self.start).days
        self.ages = sorted((int(span * self.rng.random() ** 1.3) for _i in range(n)),
                           reverse=True)
        for first in range(0, n, CHUNK):
            batch = self._batch(ob_base + first + 1, min(CHUNK, n - first))
            for key, (model, columns, rows) in batch.items():
                totals[key] += copy_rows(table(model), columns, rows)
            done = first + min(CHUNK, n - first)
            if done % 100_000 == 0 or done == n:
                self.step(f"closed loop {done:,}/{n:,}", t, **totals)
        self.totals = totals

    def _level2_cutoff(self) -> int:
        # as approvals.calendar.working_days_ago: deadlines on or before this day
        # are the configured number of working days late
        days = settings.DESK["ESCALATION_LEVEL2_AFTER_WORKING_DAYS"]
        d = self.today_o
        while self.cal.add(d, days) >= self.today_o:
            d -= 1
        return d

    def _batch(self, first_id: int, count: int) -> dict:
        obstacles, tasks, events, callbacks, approvals = [], [], [], [], []
        for oid in range(first_id, first_id + count):
            self._obstacle(oid, self.ages[oid - first_id + self._done], obstacles, tasks,
                           events, callbacks, approvals)
        self._done += count
        return {
            "obstacles": (Obstacle, OBSTACLE_COLUMNS, obstacles),
            "tasks": (Task, TASK_COLUMNS, tasks),
            "events": (TaskEvent, EVENT_COLUMNS, events),
            "callbacks": (Callback, CALLBACK_COLUMNS, callbacks),
            "approvals": (ApprovalRequest, APPROVAL_COLUMNS, approvals),
        }

    def _state(self, age: int) -> str:
        for limit, states, cum_weights in STATE_CHOICES:
            if age < limit:
                return self.rng.choices(states, cum_weights=cum_weights)[0]
        raise AssertionError(age)

    def _obstacle(self, oid, age, obstacles, tasks, events, callbacks, approvals) -> None:
        rng, cal, today_o = self.rng, self.cal, self.today_o
        o0 = today_o - age
        received = self.at(o0, rng.uniform(8, 19))
        if received > self.now:
            received = self.now - timedelta(minutes=rng.randint(1, 600))
        enterprise = self.firm_pool[int(len(self.firm_pool) * rng.random() ** 1.7)]
        cat_pk, cat_dept, normal, urgent, texts = rng.choices(
            self.categories, cum_weights=self.category_weights)[0]
        title, description = rng.choice(texts)
        channel = rng.choices(CHANNELS, cum_weights=CHANNEL_WEIGHTS)[0]
        urgency = Urgency.URGENT if rng.random() < 0.1 else Urgency.NORMAL
        received_by = (self.liaison_of.get(enterprise) or rng.choice(self.staff)
                       if channel in (Channel.VISIT, Channel.WINDOW) else None)
        obstacles.append((oid, enterprise, title, description, cat_pk, channel, urgency, "", None,
                          self.person(), f"13{rng.randint(100_000_000, 999_999_999)}",
                          received_by, "", received, received))

        state = self._state(age)
        lead = self.next_task
        self.next_task += 1
        ev = events.append
        ev((lead, None, received_by, "submit", "", "submitted", "", True, "{}", received))
        task = dict.fromkeys(TASK_COLUMNS)
        task.update(id=lead, obstacle_id=oid, role=TaskRole.LEAD, state=state,
                    escalation_level=0, transfer_count=0, is_ruled=False, extension_count=0,
                    rectification_count=0, resolution="", created_at=received)
        coordinator = rng.choice(self.coordinators)
        if state in ("submitted", "rejected"):
            last = received
            if state == "rejected":
                last = min(received + timedelta(hours=rng.uniform(2, 30)), self.now)
                ev((lead, None, coordinator, "reject", "submitted", "rejected", TEXT["reject"],
                    True, '{"reason": "out_of_scope"}', last))
            task["updated_at"] = last
            tasks.append(tuple(task[c] for c in TASK_COLUMNS))
            return

        # 交办, after 0-2 returns as "not ours" when the obstacle is old enough
        department = cat_dept if rng.random() < 0.85 else rng.choice(self.departments)
        returns = 0 if age < 10 else rng.choices([0, 1, 2], [91.5, 7, 1.5])[0]
        t = received + timedelta(hours=rng.uniform(1, 20))
        for _r in range(returns):
            wrong = rng.choice([d for d in self.departments if d != department])
            ev((lead, wrong, coordinator, "assign", "submitted", "assigned", TEXT["assign"], True,
                "{}", t))
            t += timedelta(hours=rng.uniform(3, 20))
            ev((lead, wrong, rng.choice(self.officers[wrong]), "return", "assigned", "submitted",
                TEXT["return"], False, "{}", t))
            task["transfer_count"] += 1
            t += timedelta(hours=rng.uniform(2, 24))
        if returns == 2:
            task["is_ruled"] = True
            ev((lead, department, coordinator, "ruling", "submitted", "assigned", TEXT["ruling"],
                True, "{}", t))
            approvals.append(("ruling", lead, "approved", coordinator, t, TEXT["ruling"], None,
                              None, department, coordinator, t, TEXT["ruling"]))
        else:
            ev((lead, department, coordinator, "assign", "submitted", "assigned", TEXT["assign"],
                True, "{}", t))
        assigned_at = min(t, self.now)
        oa = assigned_at.astimezone(TZ).toordinal()
        limit = urgent if urgency == Urgency.URGENT else normal
        deadline = original = cal.add(oa, limit)
        task.update(department_id=department, assigned_at=assigned_at)

        # how far the task got, clamped so nothing happens after now
        officer = rng.choice(self.officers[department])
        accepted_at = assigned_at + timedelta(hours=rng.uniform(0.5, 30))
        if RANK[state] >= 2 and accepted_at > self.now:
            state = "assigned"
        extension = RANK[state] >= 2 and rng.random() < 0.03
        if extension:
            deadline = cal.add(deadline, 5)
        if rng.random() < 0.87:
            days = rng.randint(1, cal.between(oa, deadline))
        else:
            days = cal.between(oa, deadline) + rng.randint(1, limit + 5)
        resolved_o = cal.add(oa, days)
        resolved_at = max(self.at(resolved_o, rng.uniform(9, 18)), accepted_at)
        if RANK[state] >= 3 and resolved_at > self.now:
            state = "in_progress"
        callback_at = resolved_at + timedelta(days=rng.randint(1, 4), hours=rng.uniform(0, 6))
        if RANK[state] >= 4 and callback_at > self.now:
            state = "resolved"
        closed_at = callback_at + timedelta(days=rng.randint(0, 3), hours=rng.uniform(0, 6))
        if state == "closed" and closed_at > self.now:
            state = "closing"
        task.update(state=state, deadline_on=date.fromordinal(deadline),
                    original_deadline_on=date.fromordinal(original))
        last = assigned_at

        if RANK[state] >= 2:
            task.update(owner_id=officer, accepted_at=accepted_at,
                        extension_count=int(extension))
            ev((lead, department, officer, "accept", "assigned", "in_progress", TEXT["accept"],
                False, "{}", accepted_at))
            last = accepted_at
            if rng.random() < 0.15:
                ev((lead, department, officer, "note", "in_progress", "in_progress",
                    TEXT["note"], rng.random() < 0.5, "{}", accepted_at + timedelta(hours=5)))
            if extension:
                asked = accepted_at + timedelta(hours=6)
                ev((lead, department, officer, "extension_request", "in_progress",
                    "in_progress", TEXT["extension"], False, "{}", asked))
                ev((lead, department, coordinator, "extension_decision", "in_progress",
                    "in_progress", "同意延期。", False, '{"approved": true}',
                    asked + timedelta(hours=3)))
                approvals.append(("extension", lead, "approved", officer, asked,
                                  TEXT["extension"], date.fromordinal(deadline),
                                  date.fromordinal(original), None, coordinator,
                                  asked + timedelta(hours=3), "同意延期。"))

        # 督办: what the overdue job would have set, open or (late) since resolved
        end_o = resolved_o if RANK[state] >= 3 else today_o
        open_state = state if RANK[state] < 3 else "in_progress"
        if end_o > deadline:
            level1_at = self.at(deadline + 1, 2)
            if level1_at <= self.now:
                task.update(escalation_level=1, escalated_at=level1_at)
                ev((lead, department, None, "escalate", open_state, open_state,
                    TEXT["escalate"], False, '{"level": 1}', level1_at))
                if (RANK[state] < 3 and deadline <= self.cutoff2) or (
                        RANK[state] >= 3 and cal.between(deadline, resolved_o) > 3):
                    level2_o = cal.add(deadline, 4)
                    if level2_o <= today_o:
                        level2_at = self.at(level2_o, 2)
                        task.update(escalation_level=2, escalated_at=level2_at)
                        ev((lead, department, None, "escalate", open_state, open_state,
                            TEXT["escalate"], False, '{"level": 2}', level2_at))

        co = None
        if rng.random() < 0.2:
            co = self._co_task(oid, department, state, assigned_at, deadline, original,
                               resolved_at, closed_at, coordinator, tasks, events)

        if RANK[state] >= 3:
            task.update(resolved_at=resolved_at, resolved_on_time=resolved_o <= deadline,
                        resolution_working_days=days, resolution=TEXT["resolve"])
            ev((lead, department, officer, "resolve", "in_progress", "resolved",
                TEXT["resolve"], True, "{}", resolved_at))
            last = resolved_at
        if RANK[state] >= 4:
            staff = received_by or rng.choice(self.staff)
            bad_at = resolved_at - timedelta(days=3)
            if rng.random() < 0.02 and bad_at - timedelta(days=1) > accepted_at:
                # 整改: a bad rating reopened it once; the second resolution is counted
                ev((lead, department, officer, "resolve", "in_progress", "resolved",
                    TEXT["resolve"], True, "{}", bad_at - timedelta(days=1)))
                callbacks.append((lead, staff, True, 2, TEXT["bad_callback"], False, True,
                                  bad_at))
                ev((lead, department, staff, "callback", "resolved", "resolved",
                    TEXT["bad_callback"], True, '{"rating": 2}', bad_at))
                ev((lead, department, staff, "reopen", "resolved", "in_progress",
                    TEXT["reopen"], True, "{}", bad_at + timedelta(minutes=1)))
                task["rectification_count"] = 1
            rating = rng.choices(RATINGS, cum_weights=RATING_WEIGHTS)[0]
            task["rating"] = rating
            callbacks.append((lead, staff, True, rating, TEXT["callback"], False, True,
                              callback_at))
            ev((lead, department, staff, "callback", "resolved", "resolved", TEXT["callback"],
                True, f'{{"rating": {rating}}}', callback_at))
            ev((lead, department, staff, "close_request", "resolved", "closing", "", False,
                "{}", callback_at))
            decided = state == "closed"
            approvals.append(("close_out", lead, "approved" if decided else "pending", staff,
                              callback_at, "回访满意", None, None, None,
                              coordinator if decided else None,
                              closed_at if decided else None, TEXT["close"] if decided else ""))
            last = callback_at
        if state == "closed":
            task["closed_at"] = closed_at
            if co is not None:
                ev((co, None, coordinator, "close", "resolved", "closed", "", False, "{}",
                    closed_at))
            ev((lead, department, coordinator, "close", "closing", "closed", TEXT["close"],
                True, "{}", closed_at))
            last = closed_at
        task["updated_at"] = last
        tasks.append(tuple(task[c] for c in TASK_COLUMNS))

    def _co_task(self, oid, lead_dept, lead_state, assigned_at, deadline, original,
                 lead_resolved_at, closed_at, coordinator, tasks, events) -> int:
        """A co-handling department: assigned with the lead, reports before the
        lead resolves, closes with it."""
        rng = self.rng
        pk = self.next_task
        self.next_task += 1
        department = rng.choice([d for d in self.departments if d != lead_dept])
        officer = rng.choice(self.officers[department])
        rank = RANK[lead_state]
        state = {1: "assigned", 2: rng.choice(["in_progress", "resolved"]), 3: "resolved",
                 4: "resolved", 5: "closed"}[rank]
        # accepted, then reported, before the lead resolves
        accepted_at = assigned_at + (lead_resolved_at - assigned_at) * rng.uniform(0.05, 0.3)
        if RANK[state] >= 2 and accepted_at > self.now:
            state = "assigned"
        reported_at = accepted_at + (lead_resolved_at - accepted_at) * rng.uniform(0.3, 0.95)
        if RANK[state] >= 3 and reported_at > self.now:
            state = "in_progress"
        oa = assigned_at.astimezone(TZ).toordinal()
        reported_o = reported_at.astimezone(TZ).toordinal()
        events.append((pk, department, coordinator, "assign", "submitted", "assigned",
                       TEXT["assign"], False, "{}", assigned_at))
        row = dict.fromkeys(TASK_COLUMNS)
        row.update(id=pk, obstacle_id=oid, role=TaskRole.CO, department_id=department,
                   state=state, assigned_at=assigned_at, deadline_on=date.fromordinal(deadline),
                   original_deadline_on=date.fromordinal(original), escalation_level=0,
                   transfer_count=0, is_ruled=False, extension_count=0, rectification_count=0,
                   resolution="", created_at=assigned_at, updated_at=assigned_at)
        if RANK[state] >= 2:
            row.update(owner_id=officer, accepted_at=accepted_at, updated_at=accepted_at)
            events.append((pk, department, officer, "accept", "assigned", "in_progress", "",
                           False, "{}", accepted_at))
        if RANK[state] >= 3:
            row.update(resolved_at=reported_at, co_reported_at=reported_at,
                       resolved_on_time=reported_o <= deadline,
                       resolution_working_days=max(0, self.cal.between(oa, reported_o)),
                       resolution=TEXT["co_report"], updated_at=reported_at)
            events.append((pk, department, officer, "co_report", "in_progress", "resolved",
                           TEXT["co_report"], False, "{}", reported_at))
        if state == "closed":
            row.update(closed_at=closed_at, updated_at=closed_at)
        tasks.append(tuple(row[c] for c in TASK_COLUMNS))
        return pk if state == "closed" else None

    # ------------------------------------------------------------------ finish

    def colours_only(self) -> None:
        """``--colours-only``: replace the colour history of a filled database."""
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table(ColourSpan))))
        with bulk_load([ColourSpan]):
            self.colour_history()
        with connection.cursor() as cursor:
            cursor.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(table(ColourSpan))))

    def colour_history(self) -> None:
        """The three-colour history (``approvals.colours``) each task would have
        if the desk had recorded it from the start, as ``colours.record`` writes
        it: yellow from assignment, red from midnight after the deadline (or the
        escalation, if earlier) for tasks resolved late or still open and
        overdue, green from resolution, grey for rejected obstacles. Closed
        spans carry their working days on the same calendar. Rectification
        rounds are not replayed (a reopened task keeps one red stretch)."""
        t = time.perf_counter()
        cal, today_o = getattr(self, "cal", None), self.today_o
        if cal is None:
            cal = self.cal = WorkingDays(self.start - timedelta(days=400),
                                         self.today + timedelta(days=400))
        open_states = {s.value for s in OPEN_STATES}
        done_states = {"resolved", "closing", "closed"}
        local = timezone.localtime

        def spans(rows):
            for (pk, dept, state, assigned, created, deadline, resolved, escalated,
                 level, updated) in rows:
                if state == "rejected":
                    yield (pk, dept, "grey", updated, None, None)
                    continue
                start = assigned or created
                red_from = None
                if deadline is not None:
                    after = self.at(deadline.toordinal() + 1, 0)
                    late = (resolved is not None and resolved >= after) or (
                        resolved is None and state in open_states
                        and deadline.toordinal() < today_o)
                    if late:
                        red_from = after
                if level and escalated is not None and state in open_states | done_states:
                    red_from = min(red_from or escalated, escalated)
                if red_from is not None and red_from < start:
                    red_from = start
                end_yellow = red_from or (resolved if state in done_states else None)
                yield (pk, dept, "yellow", start, end_yellow,
                       None if end_yellow is None else cal.between(
                           local(start).date().toordinal(),
                           local(end_yellow).date().toordinal()))
                if red_from is not None:
                    red_end = resolved if state in done_states else None
                    yield (pk, dept, "red", red_from, red_end,
                           None if red_end is None else cal.between(
                               local(red_from).date().toordinal(),
                               local(red_end).date().toordinal()))
                if state in done_states and resolved is not None:
                    yield (pk, dept, "green", resolved, None, None)

        # a chunk of tasks read, then its spans copied: one connection cannot
        # read while it is in COPY
        n, last, chunk = 0, 0, 50_000
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id, department_id, state, assigned_at, created_at, "  # noqa: S608
                    f"deadline_on, resolved_at, escalated_at, escalation_level, updated_at "
                    f"FROM {table(Task)} WHERE id > %s ORDER BY id LIMIT %s", [last, chunk])
                rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            n += copy_rows(table(ColourSpan), ["task_id", "department_id", "colour",
                                               "started_at", "ended_at", "working_days"],
                           spans(rows))
        self.step("colour history", t, spans=n)

    def finish(self) -> None:
        """Move the id sequences past the ids COPY wrote, then VACUUM ANALYZE so
        the planner has statistics and index-only scans see a fresh visibility map."""
        t = time.perf_counter()
        with connection.cursor() as cursor:
            for model in (Enterprise, Obstacle, Task):
                name = table(model)
                cursor.execute(sql.SQL(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                    "(SELECT COALESCE(MAX(id), 1) FROM {}))").format(sql.Identifier(name)),
                    [name])
            cursor.execute("VACUUM ANALYZE")
        self.step("sequences + VACUUM ANALYZE", t)
        counts = {
            "enterprises": Enterprise.objects.count(),
            "obstacles": Obstacle.objects.count(),
            "tasks": Task.objects.count(),
            "events": TaskEvent.objects.count(),
            "callbacks": Callback.objects.count(),
            "approvals": ApprovalRequest.objects.count(),
            "users": get_user_model().objects.count(),
        }
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT state, count(*) FROM {table(Task)} "  # noqa: S608 - model table
                           "WHERE role = 'lead' GROUP BY state ORDER BY 2 DESC")
            by_state = dict(cursor.fetchall())
        print("lead tasks by state: " + ", ".join(f"{k} {v:,}" for k, v in by_state.items()))
        overdue = Task.objects.overdue(self.today).count()
        print(f"open and overdue: {overdue:,}; escalated: "
              f"{Task.objects.filter(escalation_level__gt=0, state__in=[TaskState.ASSIGNED, TaskState.IN_PROGRESS]).count():,}")


OBSTACLE_COLUMNS = ["id", "enterprise_id", "title", "description", "category_id", "channel",
                    "urgency", "project_name", "project_investment", "contact_name",
                    "contact_phone", "received_by_id", "external_ref", "received_at",
                    "created_at"]
TASK_COLUMNS = ["id", "obstacle_id", "role", "department_id", "owner_id", "state", "assigned_at",
                "accepted_at", "resolved_at", "closed_at", "deadline_on", "original_deadline_on",
                "escalation_level", "escalated_at", "transfer_count", "is_ruled",
                "extension_count", "rectification_count", "co_reported_at", "resolution",
                "resolved_on_time", "resolution_working_days", "rating", "created_at",
                "updated_at"]
EVENT_COLUMNS = ["task_id", "department_id", "actor_id", "action", "from_state", "to_state",
                 "comment", "is_visible_to_firm", "data", "created_at"]
CALLBACK_COLUMNS = ["task_id", "made_by_id", "is_reached", "rating", "comment", "is_by_firm",
                    "is_counted", "made_at"]
APPROVAL_COLUMNS = ["kind", "task_id", "status", "requested_by_id", "requested_at", "reason",
                    "requested_deadline_on", "previous_deadline_on", "ruled_department_id",
                    "decided_by_id", "decided_at", "decision_comment"]
