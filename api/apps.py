from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API, its integration keys, outbound webhooks and Open311."""

    name = "api"
    verbose_name = _("API and integrations")

    def ready(self) -> None:
        # webhooks follow the closed loop through its signal, never by editing services
        from approvals.signals import events_recorded

        from . import schema, webhooks  # noqa: F401 - schema registers its extension

        events_recorded.connect(webhooks.enqueue_deliveries, dispatch_uid="api-webhooks")
