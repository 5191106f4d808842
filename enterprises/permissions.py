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


# ------------------------------------------------------------------ firm accounts


def portal_scope(user, qs: QuerySet, perm: str = "view_portal") -> QuerySet:
    """Enterprises on which ``user`` holds the portal grant ``perm``: one SQL
    subquery over django-guardian's rows (global permissions and superuser
    status do not count: the portal is for members only)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast

    from guardian.models import GroupObjectPermission, UserObjectPermission

    if not user.is_authenticated:
        return qs.none()
    # object_pk is text: cast it to the key's type on the grant side, so the
    # lookup is a semi-join on the primary key, not a cast of every enterprise
    ct = ContentType.objects.get_for_model(qs.model)
    def granted(model, **who):
        return (model.objects.filter(permission__content_type=ct,
                                     permission__codename=perm, **who)
                .annotate(oid=Cast("object_pk", BigIntegerField())).values("oid"))
    ids = granted(UserObjectPermission, user=user).union(
        granted(GroupObjectPermission, group__user=user))
    return qs.filter(pk__in=ids)


def can_approve_accounts(user, enterprise) -> bool:
    """The coordinator, or the firm's current liaison, approves account
    requests and invites the firm's people from its page."""
    r = roles(user)
    if Role.COORDINATOR in r:
        return True
    return Role.SERVICE_STAFF in r and _is_liaison(user, enterprise)


def can_manage_members(user, enterprise) -> bool:
    """Invite and remove members: the staff who approve accounts, or the firm's
    own administrator (guardian grant ``manage_members``)."""
    if can_approve_accounts(user, enterprise):
        return True
    return Role.FIRM_USER in roles(user) and user.has_perm(
        "enterprises.manage_members", enterprise)
