"""Who may use the insight pages; task-level rules stay in ``approvals.permissions``."""

from __future__ import annotations

from approvals.choices import Role
from approvals.permissions import roles

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
