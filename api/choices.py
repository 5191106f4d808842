"""Choices of the API app."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from approvals.choices import Channel

# Channels an integration may take obstacles in on: the portal belongs to firm
# users and visits to service staff, so no key is ever scoped to those.
INTEGRATION_CHANNELS = (Channel.HOTLINE, Channel.WINDOW, Channel.OTHER)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
