"""Who may use the insight pages; task-level rules stay in ``approvals.permissions``."""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.choices import Role
from approvals.permissions import DEPARTMENT_ROLES, SEE_ALL_ROLES, roles, user_department_id

READERS = frozenset({Role.COORDINATOR, Role.LEADER})


def can_read_insight(user) -> bool:
    """District-wide figures (appeals, samples, common issues, the monthly report)."""
    return bool(roles(user) & READERS)


def can_coordinate(user) -> bool:
    return Role.COORDINATOR in roles(user)


def can_see_silent(user) -> bool:
    """The silent-task list: the office and leaders all, departments their own."""
    return bool(roles(user) & (READERS | {Role.DEPARTMENT_HEAD, Role.DEPARTMENT_OFFICER}))


def can_call_samples(user) -> bool:
    """Second callbacks are made by service staff or the office."""
    return bool(roles(user) & {Role.SERVICE_STAFF, Role.COORDINATOR})


def can_see_chase_notices(user) -> bool:
    """The chase-notice list: the office and leaders, and department users."""
    return bool(roles(user) & (READERS | DEPARTMENT_ROLES))


def scope_chase_notices(user, qs: QuerySet) -> QuerySet:
    """Chase notices (催办通知书) a user may read and download: coordinators and
    leaders all, department officers and heads their department's; nobody
    else, firm users never (a lookup out of scope is a 404)."""
    r = roles(user)
    if r & SEE_ALL_ROLES:
        return qs
    if r & DEPARTMENT_ROLES:
        dept = user_department_id(user)
        if dept:
            return qs.filter(department_id=dept)
    return qs.none()
