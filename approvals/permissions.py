"""Who may see and do what in the closed loop: the only module that reads roles.

Two faces of one rule set (after Wagtail's permission policies and NetBox's
``restrict()``):

* ``scope_*(user, qs)`` narrows a queryset in SQL to the rows the user may see;
  detail views look rows up through it, so out of scope is a 404.
* ``can(user, action, obj)`` / ``require(...)`` answer whether a user in scope may
  act; ``require`` raises ``PermissionDenied`` (403).

Roles are ``Group`` names (``choices.Role``); a user's department and team come
from their ``Profile``. The roles of a user are read once per request object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .choices import Role

if TYPE_CHECKING:
    pass

STAFF_ROLES = frozenset(
    {
        Role.SERVICE_STAFF,
        Role.DEPARTMENT_OFFICER,
        Role.DEPARTMENT_HEAD,
        Role.COORDINATOR,
        Role.LEADER,
    }
)
DEPARTMENT_ROLES = frozenset({Role.DEPARTMENT_OFFICER, Role.DEPARTMENT_HEAD})
SEE_ALL_ROLES = frozenset({Role.COORDINATOR, Role.LEADER})


def roles(user) -> frozenset[str]:
    """The desk roles of ``user`` (memoised on the user object: one query)."""
    if not user or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_desk_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            # the installation superuser acts as a coordinator
            cached |= {Role.COORDINATOR}
        user._desk_roles = cached
    return cached


def has_role(user, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def is_staff_member(user) -> bool:
    """Any desk role that works inside government (not firms, not CMS only)."""
    return bool(roles(user) & STAFF_ROLES)


def _profile(user):
    try:
        return user.profile
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist: no profile yet
        return None


def user_department_id(user) -> int | None:
    """The department a department officer or head belongs to."""
    profile = _profile(user)
    return profile.department_id if profile else None


# ---------------------------------------------------------------- tasks


def scope_tasks(user, qs: QuerySet) -> QuerySet:
    """Tasks a user may see on the staff desk.

    Coordinators and leaders: all. Department users: their department's tasks
    (lead and co-handling). Service staff: tasks of obstacles they received and
    of firms they currently look after. Everyone else, firm users included:
    none (firms follow their obstacles in the portal, without internal notes).
    """
    r = roles(user)
    if r & SEE_ALL_ROLES:
        return qs
    q = Q(pk__in=[])
    if r & DEPARTMENT_ROLES:
        dept = user_department_id(user)
        if dept:
            q |= Q(department_id=dept)
    if Role.SERVICE_STAFF in r:
        q |= Q(obstacle__received_by=user) | Q(
            Exists(_current_liaisons(user).filter(enterprise=OuterRef("obstacle__enterprise")))
        )
    return qs.filter(q)


def scope_obstacles(user, qs: QuerySet) -> QuerySet:
    """Obstacles with at least one task the user may see."""
    from .models import Task

    r = roles(user)
    if r & SEE_ALL_ROLES:
        return qs
    visible = scope_tasks(user, Task.objects.filter(obstacle=OuterRef("pk")))
    return qs.filter(Exists(visible))


def _current_liaisons(user):
    from enterprises.models import Liaison

    today = timezone.localdate()
    return Liaison.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today), staff=user, starts_on__lte=today
    )


def _in_department(user, task) -> bool:
    return (
        bool(roles(user) & DEPARTMENT_ROLES)
        and task.department_id is not None
        and user_department_id(user) == task.department_id
    )


def can(user, action: str, task) -> bool:
    """May ``user`` attempt ``action`` on ``task``? (The state is the service's
    business: this answers only who, so a refused state gives a clear message
    rather than a 403.)"""
    r = roles(user)
    coordinator = Role.COORDINATOR in r
    if action in ("assign", "reject", "rule", "escalate", "decide", "reopen_closed",
                  "close"):
        return coordinator
    if action == "set_owner":
        return coordinator or (Role.DEPARTMENT_HEAD in r and _in_department(user, task))
    if action in ("accept", "return", "note", "request_extension", "resolve",
                  "co_report"):
        return _in_department(user, task)
    if action == "callback":
        # the handler cannot grade itself: its own department's callback never counts
        if _in_department(user, task) or task.owner_id == user.pk:
            return False
        return bool(r & {Role.SERVICE_STAFF, Role.COORDINATOR})
    if action == "appeal":
        # 申诉复核: the department that handled the task appeals its rating
        return _in_department(user, task)
    if action in ("decide_appeal", "merge"):
        return coordinator
    if action == "sample_callback":
        # 销号抽查: an independent second callback, never by the department or
        # the owner (whether the caller took part otherwise is the service's check)
        if _in_department(user, task) or task.owner_id == user.pk:
            return False
        return bool(r & {Role.SERVICE_STAFF, Role.COORDINATOR})
    if action == "record_obstacle":
        return bool(r & {Role.SERVICE_STAFF, Role.COORDINATOR})
    raise ValueError(f"unknown task action {action!r}")


def require(user, action: str, task) -> None:
    """``can`` or ``PermissionDenied``."""
    if not can(user, action, task):
        raise PermissionDenied


def allowed_actions(user, task) -> frozenset[str]:
    """The actions to offer on a task page (the service still re-checks state)."""
    return frozenset(
        a
        for a in (
            "assign", "reject", "rule", "escalate", "reopen_closed", "close", "set_owner",
            "accept", "return", "note", "request_extension", "resolve", "co_report",
            "callback",
        )
        if can(user, a, task)
    )


def can_view_ledger(user) -> bool:
    return is_staff_member(user)


def can_view_kpis(user) -> bool:
    return bool(roles(user) & (SEE_ALL_ROLES | {Role.DEPARTMENT_HEAD}))


def can_decide_approvals(user) -> bool:
    return Role.COORDINATOR in roles(user)


def can_manage_calendar(user) -> bool:
    return Role.COORDINATOR in roles(user)
