"""Choices of the audit log and the three administrator roles (三员)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What happened. New actions may be added freely: the column is text."""

    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Account locked out")
    UNLOCK = "unlock", _("Account unlocked")
    PASSWORD_CHANGE = "password_change", _("Password changed")
    TWO_FACTOR_ENABLE = "2fa_enable", _("Two-factor login enabled")
    TWO_FACTOR_DISABLE = "2fa_disable", _("Two-factor login removed")
    TWO_FACTOR_VERIFY = "2fa_verify", _("Two-factor check")
    GROUP_GRANT = "group_grant", _("Role granted")
    GROUP_REVOKE = "group_revoke", _("Role withdrawn")
    PERMISSION_GRANT = "permission_grant", _("Permission granted")
    PERMISSION_REVOKE = "permission_revoke", _("Permission withdrawn")
    USER_CREATE = "user_create", _("User created")
    USER_DEACTIVATE = "user_deactivate", _("User deactivated")
    USER_ACTIVATE = "user_activate", _("User reactivated")
    USER_ERASE = "user_erase", _("User's personal data erased")
    ADMIN_CHANGE = "admin_change", _("Admin change")
    SUPERUSER_REQUEST = "superuser_request", _("Superuser request")
    DOWNLOAD = "download", _("File download")
    EXPORT = "export", _("Export")
    PERSONAL_DATA_VIEW = "pi_view", _("Personal data shown in full")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    ARCHIVE = "archive", _("Audit records archived")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")
    DENIED = "denied", _("Denied")


class AdminRole(models.TextChoices):
    """三员管理: three administrator roles no single account may combine. Each
    is a ``Group`` of this name (data migration 0002)."""

    SYSTEM = "system_administrator", _("System administrator")
    SECURITY = "security_administrator", _("Security administrator")
    AUDIT = "audit_administrator", _("Audit administrator")


ADMIN_ROLES = frozenset(AdminRole.values)
