"""Integrations (other systems with keys), which obstacles each took in, and
the webhook deliveries that tell them about state changes."""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from rest_framework_api_key.models import AbstractAPIKey

from approvals.choices import Channel

from .choices import INTEGRATION_CHANNELS, DeliveryStatus


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


class Integration(models.Model):
    """Another system that hands obstacles to the desk (the 12345 hotline, a
    provincial platform). It takes obstacles in on one channel only, acts in
    the closed loop as its own service account ``user`` (so every event names
    it), and sees only the obstacles it took in."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    channel = models.CharField(
        _("channel"), max_length=16,
        choices=[(c.value, c.label) for c in INTEGRATION_CHANNELS],
        default=Channel.HOTLINE,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("service account"),
        on_delete=models.PROTECT, related_name="api_integration", editable=False,
    )
    webhook_url = models.URLField(
        _("webhook URL"), blank=True,
        help_text=_("State changes of this integration's obstacles are POSTed here."),
    )
    webhook_secret = models.CharField(
        _("webhook signing secret"), max_length=64, default=new_webhook_secret,
        help_text=_("Shared with the receiver, which checks the HMAC-SHA256 signature."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")

    def __str__(self) -> str:
        return self.name


class IntegrationKey(AbstractAPIKey):
    """A key of an integration: only a SHA-512 hash is stored, the key itself is
    shown once when created; revoking cannot be undone. An integration may hold
    several (rotation without downtime)."""

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.CASCADE,
        related_name="keys",
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("integration key")
        verbose_name_plural = _("integration keys")


class IntegrationObstacle(models.Model):
    """Which integration (and with which key) took an obstacle in: the scope of
    what the integration may read and the address book of its webhooks. Kept
    here so the closed loop's models know nothing of the API."""

    obstacle = models.OneToOneField(
        "approvals.Obstacle", verbose_name=_("obstacle"), on_delete=models.CASCADE,
        related_name="integration_link",
    )
    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.PROTECT,
        related_name="obstacle_links",
    )
    key = models.ForeignKey(
        IntegrationKey, verbose_name=_("key used"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="+",
    )
    # Open311's address_string, shown back to the client (the desk reads it in
    # the description, where intake also puts it)
    address_string = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("obstacle taken in by an integration")
        verbose_name_plural = _("obstacles taken in by integrations")
        indexes = [
            # an integration's obstacle list, newest first
            models.Index(fields=["integration", "-created_at"], name="api_link_integration"),
        ]

    def __str__(self) -> str:
        return f"{self.integration} #{self.obstacle_id}"


class WebhookDelivery(models.Model):
    """One task event POSTed to one integration's webhook: the body as sent,
    how many attempts, the last answer. Replayable from the admin."""

    integration = models.ForeignKey(
        Integration, verbose_name=_("integration"), on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "approvals.TaskEvent", verbose_name=_("task event"), on_delete=models.CASCADE,
        related_name="+",
    )
    url = models.URLField(_("URL"))
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("last response code"), null=True,
                                                     blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # one delivery per event and integration: a repeated signal is harmless
            models.UniqueConstraint(fields=["integration", "event"],
                                    name="api_delivery_once_per_event",
                                    violation_error_message=_(
                                        "This event was already queued for this integration.")),
        ]
        indexes = [
            # the admin's list of failures per integration
            models.Index(fields=["integration", "status"], name="api_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.integration} event {self.event_id} ({self.get_status_display()})"
