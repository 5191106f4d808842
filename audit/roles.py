"""三员管理: the system, security and audit administrators.

The groups come from data migration 0002; their model permissions are granted
after every ``migrate`` (``post_migrate``), when every app's permissions exist.
No account may hold two of the roles: ``check_admin_roles`` refuses it, the
``m2m_changed`` receiver calls it for every change of a user's groups, and the
admin's user form calls it before saving.
"""

from __future__ import annotations

from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import ADMIN_ROLES, AdminRole

# what each administrator may do in the Django admin, by permission codename
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    # users, departments and configuration; not the audit log, not role grants
    AdminRole.SYSTEM: [
        ("auth", "add_user"), ("auth", "change_user"), ("auth", "view_user"),
        ("approvals", "add_department"), ("approvals", "change_department"),
        ("approvals", "view_department"), ("approvals", "add_obstaclecategory"),
        ("approvals", "change_obstaclecategory"), ("approvals", "view_obstaclecategory"),
        ("approvals", "add_holiday"), ("approvals", "change_holiday"),
        ("approvals", "delete_holiday"), ("approvals", "view_holiday"),
        ("approvals", "add_profile"), ("approvals", "change_profile"),
        ("approvals", "view_profile"),
    ],
    # roles and grants, lockouts; no business data
    AdminRole.SECURITY: [
        ("auth", "view_user"), ("auth", "view_group"), ("auth", "change_group"),
        ("axes", "view_accessattempt"), ("axes", "delete_accessattempt"),
    ],
    # reads and exports the audit log; nothing else
    AdminRole.AUDIT: [("audit", "view_auditrecord"), ("audit", "view_auditarchive")],
}


def admin_roles_of(group_names) -> set[str]:
    return set(group_names) & ADMIN_ROLES


def check_admin_roles(group_names) -> None:
    """Refuse a set of group names that holds two administrator roles."""
    held = admin_roles_of(group_names)
    if len(held) > 1:
        labels = sorted(str(AdminRole(r).label) for r in held)
        raise ValidationError(
            _("One account cannot hold two administrator roles (%(roles)s).")
            % {"roles": ", ".join(labels)},
            code="admin_roles_overlap",
        )


def has_admin_role(user, role: str) -> bool:
    """Whether ``user`` holds administrator ``role`` (reads the group names
    memoised by ``approvals.permissions.roles``)."""
    from approvals.permissions import roles

    return role in roles(user)


def grant_admin_role_permissions(sender=None, apps=global_apps, **kwargs) -> None:
    """Give each administrator group its permissions; idempotent. Runs after
    the last app's ``post_migrate`` so every app's permissions exist."""
    if sender is not None and sender is not list(global_apps.get_app_configs())[-1]:
        return
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group is None:
            continue
        perms = [Permission.objects.filter(content_type__app_label=app,
                                           codename=code).first() for app, code in wanted]
        group.permissions.add(*[p for p in perms if p is not None])
