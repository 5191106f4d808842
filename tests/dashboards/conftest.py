"""A small district whose figures are counted by hand in the comments.

Today is Wednesday 25 November 2026, 10:00 in Shanghai; "this month" is
1-30 November; its ISO weeks start on Mondays 26 Oct, 2, 9, 16, 23 and 30 Nov.

| obstacle | received (Shanghai) | category | firm | lead task | colour today |
| --- | --- | --- | --- | --- | --- |
| o1 | 3 Nov 10:00 | P | A | dept, in progress, deadline 10 Nov | red (overdue) |
| o2 | 3 Nov 11:00 | P/child | A | dept, resolved 5 Nov, rated 5 | green |
| o3 | 10 Nov 09:00 | Q | B | other, assigned, deadline 1 Dec, escalated | red (not overdue) |
| o4 | 24 Nov 09:00 | Q | B | submitted, no department | yellow |
| o5 | 24 Nov 15:00 | P | A | rejected | grey |
| o6 | 20 Oct | P | A | dept, resolved 18 Nov, rated 2 | outside the period |
| o7 | 1 Nov 00:30 | P | C | other, closed, resolved 2 Nov, rated 4 | green |
| o8 | 31 Oct 23:30 | Q | C | other, in progress, deadline 20 Nov | outside (overdue) |

o3 also has a co-handling task of dept, in progress, deadline 20 Nov (overdue).
Firms: A street S1, industry C, above designated size; B street S2, industry
F, key project; C street S2, industry C; D specialised, no obstacles.
Service staff: ``staff`` and ``staff2`` in team T (quota 4), ``loner`` in no
team. ``staff`` visits A, E1, E2, E3 in the week of 23 Nov (4 firms: met);
``staff2`` has a personal quota of 1 for the week of 16 Nov and visits E1 then
(met); nobody else visits.
"""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group

import pytest
import time_machine

from approvals.choices import Role, TaskRole, TaskState
from approvals.models import ObstacleCategory
from enterprises.models import Industry
from tests.factories import (
    CategoryFactory,
    EnterpriseFactory,
    ObstacleFactory,
    StreetFactory,
    TaskFactory,
    UserFactory,
)
from visits import services as visit_services
from visits.models import QuotaOverride

SH = ZoneInfo("Asia/Shanghai")


def at(month, day, hour=10, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def now():
    with time_machine.travel(at(11, 25), tick=False):
        yield at(11, 25)


def visit(actor, firm, when):
    return visit_services.visit_save(
        actor=actor, submit=True,
        data={"enterprise": firm, "visited_at": when, "mode": "on_site", "purpose": "走访"})


@pytest.fixture
def world(now, dept, other_dept, category, team, staff, staff2):
    child = CategoryFactory(code="ghyd-xk", name="规划许可", parent=category,
                            default_department=dept)
    other_cat = CategoryFactory(code="scjg-dj", name="登记注册", default_department=other_dept)
    s1, s2 = StreetFactory(code="330106001", name="甲街道"), StreetFactory(
        code="330106002", name="乙街道")
    ind_c, ind_f = Industry.objects.get(code="C"), Industry.objects.get(code="F")
    a = EnterpriseFactory(name="甲公司", street=s1, industry=ind_c, is_above_scale=True)
    b = EnterpriseFactory(name="乙公司", street=s2, industry=ind_f, is_key_project=True)
    c = EnterpriseFactory(name="丙公司", street=s2, industry=ind_c)
    d = EnterpriseFactory(name="丁公司", street=s1, industry=ind_c, is_specialised=True)

    def task(firm, cat, received, **fields):
        ob = ObstacleFactory(enterprise=firm, category=cat, received_at=received)
        return TaskFactory(obstacle=ob, **fields)

    o = SimpleNamespace()
    o.t1 = task(a, category, at(11, 3), department=dept, state=TaskState.IN_PROGRESS,
                assigned_at=at(11, 3, 11), deadline_on=date(2026, 11, 10))
    o.t2 = task(a, child, at(11, 3, 11), department=dept, state=TaskState.RESOLVED,
                assigned_at=at(11, 3, 12), deadline_on=date(2026, 11, 10),
                resolved_at=at(11, 5), resolved_on_time=True, resolution_working_days=2,
                rating=5)
    o.t3 = task(b, other_cat, at(11, 10, 9), department=other_dept, state=TaskState.ASSIGNED,
                assigned_at=at(11, 10, 10), deadline_on=date(2026, 12, 1), escalation_level=1)
    o.t3_co = TaskFactory(obstacle=o.t3.obstacle, role=TaskRole.CO, department=dept,
                          state=TaskState.IN_PROGRESS, assigned_at=at(11, 10, 10),
                          deadline_on=date(2026, 11, 20))
    o.t4 = task(b, other_cat, at(11, 24, 9))
    o.t5 = task(a, category, at(11, 24, 15), state=TaskState.REJECTED)
    o.t6 = task(a, category, at(10, 20), department=dept, state=TaskState.RESOLVED,
                assigned_at=at(10, 20, 11), deadline_on=date(2026, 10, 27),
                resolved_at=at(11, 18), resolved_on_time=False, resolution_working_days=20,
                rating=2)
    o.t7 = task(c, category, at(11, 1, 0, 30), department=other_dept, state=TaskState.CLOSED,
                assigned_at=at(11, 1, 9), deadline_on=date(2026, 11, 6), resolved_at=at(11, 2),
                resolved_on_time=True, resolution_working_days=1, rating=4)
    o.t8 = task(c, other_cat, at(10, 31, 23, 30), department=other_dept,
                state=TaskState.IN_PROGRESS, assigned_at=at(11, 1, 9),
                deadline_on=date(2026, 11, 20))

    loner = UserFactory(username="loner", role=Role.SERVICE_STAFF)
    extra = [EnterpriseFactory(name=f"走访企业{i}", street=s1) for i in range(3)]
    for i, firm in enumerate([a, *extra]):
        visit(staff, firm, at(11, 23 + i % 2, 9))
    QuotaOverride.objects.create(staff=staff2, starts_on=date(2026, 11, 16),
                                 ends_on=date(2026, 11, 22), quota=1)
    visit(staff2, extra[0], at(11, 17))
    return SimpleNamespace(
        tasks=o, firms=SimpleNamespace(a=a, b=b, c=c, d=d), streets=(s1, s2),
        industries=(ind_c, ind_f), categories=(category, child, other_cat), loner=loner,
        dept=dept, other_dept=other_dept, team=team)


@pytest.fixture
def only_service_staff(world):
    """The fixtures' other users are not service staff (a guard for the quota
    counts)."""
    names = set(Group.objects.get(name=Role.SERVICE_STAFF).user_set.values_list(
        "username", flat=True))
    assert names == {"staff", "staff2", "loner"}, names
    assert ObstacleCategory.objects.count() == 3
