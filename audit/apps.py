from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Security and audit")

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers checks and receivers)
        from .roles import grant_admin_role_permissions

        post_migrate.connect(grant_admin_role_permissions, dispatch_uid="audit_admin_roles")
