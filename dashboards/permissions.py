"""Who sees which dashboard.

Leaders and coordinators see the whole district and may narrow it to any
department; a department head sees only their own department (the page, its
exports and the ledger rows behind it). Everyone else (service staff,
department officers, firm users, CMS staff) gets 403: the figures name
departments and firms and are meant for those who supervise them.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from approvals.choices import Role
from approvals.models import Department
from approvals.permissions import SEE_ALL_ROLES, roles, user_department_id


def can_view_dashboards(user) -> bool:
    return bool(roles(user) & (SEE_ALL_ROLES | {Role.DEPARTMENT_HEAD}))


def sees_district(user) -> bool:
    """The whole district, every department, visits included."""
    return bool(roles(user) & SEE_ALL_ROLES)


def scope_departments(user, qs: QuerySet[Department]) -> QuerySet[Department]:
    """The departments whose dashboard the user may open."""
    if sees_district(user):
        return qs
    if Role.DEPARTMENT_HEAD in roles(user):
        return qs.filter(pk=user_department_id(user) or 0)
    return qs.none()


def require_dashboards(user) -> None:
    """403 unless the user may see a dashboard; a head without a department
    has nothing to see either."""
    if not can_view_dashboards(user):
        raise PermissionDenied
    if not sees_district(user) and not user_department_id(user):
        raise PermissionDenied
