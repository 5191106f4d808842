"""Who may see and do what in the enterprise registry.

Roles are read through ``approvals.permissions.roles`` (one rule set for the
desk); this module holds the registry's rules: staff see the whole registry, a
firm user only its own enterprises (404 elsewhere), and contact mobiles are
shown in full only to those who need them (PIPL).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.choices import Role
from approvals.permissions import DEPARTMENT_ROLES, STAFF_ROLES, roles


def scope_enterprises(user, qs: QuerySet) -> QuerySet:
    """Staff see the registry; a firm user sees only their own enterprises."""
    r = roles(user)
    if r & STAFF_ROLES:
        return qs
    if Role.FIRM_USER in r:
        return qs.filter(memberships__user=user)
    return qs.none()


def _is_liaison(user, enterprise) -> bool:
    from .models import Liaison

    today = timezone.localdate()
    return Liaison.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        staff=user, enterprise=enterprise, starts_on__lte=today,
    ).exists()


def can_enterprise(user, action: str, enterprise=None) -> bool:
    """Actions on the registry: ``create``, ``change``, ``import``,
    ``record_obstacle``, ``see_contact_mobile``."""
    r = roles(user)
    if action in ("create", "import"):
        return Role.COORDINATOR in r
    if action == "change":
        return bool(r & {Role.COORDINATOR, Role.SERVICE_STAFF})
    if action == "record_obstacle":
        return bool(r & {Role.COORDINATOR, Role.SERVICE_STAFF})
    if action == "see_contact_mobile":
        # PIPL: full numbers only for those who need them: the coordinator, the
        # firm's liaison and owners of its tasks.
        if Role.COORDINATOR in r:
            return True
        if enterprise is None:
            return False
        if Role.SERVICE_STAFF in r and _is_liaison(user, enterprise):
            return True
        if r & DEPARTMENT_ROLES:
            from approvals.models import Task

            return Task.objects.filter(obstacle__enterprise=enterprise, owner=user).exists()
        return False
    raise ValueError(f"unknown enterprise action {action!r}")


def require_enterprise(user, action: str, enterprise=None) -> None:
    if not can_enterprise(user, action, enterprise):
        raise PermissionDenied
