from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications and scheduled jobs")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (subscribes to approvals' events_recorded)
