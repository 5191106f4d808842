"""Who may see and make letters, batches and bulletins.

Roles are read through ``approvals.permissions.roles`` (the desk's one rule
set). Letters: coordinators and leaders see all; service staff the letters of
firms they look after now and the ones they wrote; department officers and
heads the letters of firms with a task of their department. A firm user
reaches letters only through the portal (its own enterprise's). Lookups go
through ``scope_letters``, so a letter out of scope is a 404.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from approvals.choices import Role
from approvals.permissions import DEPARTMENT_ROLES, SEE_ALL_ROLES, roles, user_department_id


def _current_liaisons(user):
    from enterprises.models import Liaison

    today = timezone.localdate()
    return Liaison.objects.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today),
                                  staff=user, starts_on__lte=today)


def scope_letters(user, qs: QuerySet) -> QuerySet:
    r = roles(user)
    if r & SEE_ALL_ROLES:
        return qs
    q = Q(pk__in=[])
    if Role.SERVICE_STAFF in r:
        q |= Q(generated_by=user) | Q(
            Exists(_current_liaisons(user).filter(enterprise=OuterRef("enterprise"))))
    if r & DEPARTMENT_ROLES:
        from approvals.models import Task

        dept = user_department_id(user)
        if dept:
            q |= Q(Exists(Task.objects.filter(obstacle__enterprise=OuterRef("enterprise"),
                                              department_id=dept)))
    return qs.filter(q)


def can_view_letters(user) -> bool:
    """The staff letter list."""
    return bool(roles(user) & (SEE_ALL_ROLES | DEPARTMENT_ROLES | {Role.SERVICE_STAFF}))


def can_write_letter(user, enterprise) -> bool:
    """The coordinator, or the firm's current liaison officer."""
    r = roles(user)
    if Role.COORDINATOR in r:
        return True
    return Role.SERVICE_STAFF in r and _current_liaisons(user).filter(
        enterprise=enterprise).exists()


def can_run_batches(user) -> bool:
    return Role.COORDINATOR in roles(user)


def can_view_bulletins(user) -> bool:
    return bool(roles(user) & SEE_ALL_ROLES)


def can_issue_bulletins(user) -> bool:
    return Role.COORDINATOR in roles(user)
