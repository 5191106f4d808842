from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Obstacles and tasks")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401  (registers the calendar check)
            colours,  # noqa: F401  (records colour changes on events_recorded)
            ledger_cache,  # noqa: F401  (drops the ledger's counts when tasks change)
        )
