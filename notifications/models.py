"""Notifications: the in-app inbox, channel preferences, the delivery log that
makes every job idempotent, and the record of job runs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import Kind, SendState


class JobRun(models.Model):
    """One run of a scheduled job (or of the event fan-out): when, how many
    items it handled and what went wrong. E-mail and SMS failures found later by
    the senders are added to ``errors`` of the run that created the delivery."""

    job = models.CharField(_("job"), max_length=64)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    items = models.PositiveIntegerField(_("items handled"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    error_text = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        indexes = [
            # the admin's list filtered by job, newest first
            models.Index(fields=["job", "-started_at"], name="jobrun_job_time"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}"


class Delivery(models.Model):
    """The dedup log: one row per (kind, object, level, occasion, recipient).

    Jobs insert these rows set-wise with ``INSERT … SELECT … ON CONFLICT DO
    NOTHING`` in the same transaction as their effect, so a job run twice, or
    two overlapping beats, find the key taken and notify nobody twice. The row
    is also the outbox of the e-mail and SMS channels: senders claim it by its
    ``*_state`` under a row lock.

    ``object_id`` is the thing the notice is about (a task event, a task, a
    licence, a team...), ``level`` the step (escalation level, days before
    expiry, working days), ``occasion_on`` the date it concerns (a deadline, an
    expiry date, a week), so a new deadline or a renewed licence is a new notice.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    object_id = models.BigIntegerField(_("object"))
    level = models.IntegerField(_("level"), default=0)
    occasion_on = models.DateField(_("occasion"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="deliveries",
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    job_run = models.ForeignKey(
        JobRun, verbose_name=_("job run"), on_delete=models.SET_NULL, null=True, blank=True,
        related_name="deliveries",
    )
    created_at = models.DateTimeField(_("created at"))
    email_state = models.CharField(
        _("e-mail"), max_length=8, choices=SendState.choices, default=SendState.SKIPPED)
    email_attempts = models.PositiveSmallIntegerField(
        _("e-mail attempts"), default=0, db_default=0)
    email_error = models.TextField(_("e-mail error"), blank=True, default="", db_default="")
    email_sent_at = models.DateTimeField(_("e-mail sent at"), null=True, blank=True)
    sms_state = models.CharField(
        _("SMS"), max_length=8, choices=SendState.choices, default=SendState.SKIPPED)
    sms_attempts = models.PositiveSmallIntegerField(_("SMS attempts"), default=0, db_default=0)
    sms_error = models.TextField(_("SMS error"), blank=True, default="", db_default="")
    sms_sent_at = models.DateTimeField(_("SMS sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "level", "occasion_on", "recipient"],
                name="delivery_once",
                violation_error_message=_("This notice was already sent to this person."),
            )
        ]
        indexes = [
            # the sweeper: e-mails and SMS still waiting
            models.Index(fields=["created_at"], name="delivery_email_pending",
                         condition=Q(email_state="pending")),
            models.Index(fields=["created_at"], name="delivery_sms_pending",
                         condition=Q(sms_state="pending")),
            # what one run delivered (dispatch after commit, the admin)
            models.Index(fields=["job_run"], name="delivery_run"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.object_id} → {self.recipient_id}"


class Notification(models.Model):
    """A line in a user's in-app inbox. The text is rendered when it is shown,
    in the reader's language, from ``kind`` and ``data``."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE,
        related_name="notifications",
    )
    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE,
        related_name="notification",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # the inbox, newest first
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_inbox"),
            # the unread badge on every page
            models.Index(fields=["recipient"], name="notif_unread",
                         condition=Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", args=[self.pk])

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(models.Model):
    """Which channels a user wants. No row means the defaults: in-app and
    e-mail on, SMS off, messages in the desk's language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    in_app = models.BooleanField(_("in-app inbox"), default=True)
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    language = models.CharField(
        _("language of e-mail and SMS"), max_length=8, choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)
