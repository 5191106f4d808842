"""Service teams, the visit log (走访) and weekly quotas."""

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from approvals.models.obstacle import private_storage

from .choices import Mode, OperatingStatus, Trend, VisitStatus


def week_start_of(d: date) -> date:
    """The Monday of the ISO week containing ``d``."""
    return d - timedelta(days=d.weekday())


class ServiceTeam(models.Model):
    """A team of service staff (店小二) that visits firms."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    weekly_quota = models.PositiveSmallIntegerField(
        _("weekly visit quota per person"), default=4
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("team leader"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="led_teams",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")

    def __str__(self) -> str:
        return self.name


class QuotaOverride(models.Model):
    """A person's own weekly quota for a period (leave, part-time): it wins over
    the team's quota for every week whose Monday falls in the period."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
        related_name="quota_overrides",
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    quota = models.PositiveSmallIntegerField(_("weekly quota"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["staff", "-starts_on"]
        verbose_name = _("personal quota")
        verbose_name_plural = _("personal quotas")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="quota_override_period",
                violation_error_message=_("The period ends before it starts."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.starts_on}–{self.ends_on}: {self.quota}"


class Visit(models.Model):
    """One visit to one enterprise by a lead visitor and companions."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT,
        related_name="visits",
    )
    lead_visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("lead visitor"), on_delete=models.PROTECT,
        related_name="visits_led",
    )
    companions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("companions"), blank=True,
        related_name="visits_joined",
    )
    visited_at = models.DateTimeField(_("visited at"))
    week_start = models.DateField(
        _("week (Monday)"), editable=False,
        help_text=_("The Monday of the visit's ISO week in the desk's time zone."),
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices, default=Mode.ON_SITE)
    purpose = models.CharField(_("purpose"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    operating_status = models.CharField(
        _("operating status"), max_length=16, choices=OperatingStatus.choices, blank=True
    )
    orders_trend = models.CharField(_("orders"), max_length=8, choices=Trend.choices, blank=True)
    headcount_trend = models.CharField(
        _("headcount"), max_length=8, choices=Trend.choices, blank=True
    )
    investment_plans = models.TextField(_("investment plans"), blank=True)
    policies_explained = models.TextField(_("policies explained"), blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.DRAFT
    )
    pending_obstacles = models.JSONField(
        _("obstacles noted in the draft"), default=list, blank=True,
        help_text=_("Entered while the visit is a draft; taken in on submit."),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-visited_at", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # quota and weekly report: submitted visits of a week
            models.Index(fields=["week_start", "status"], name="visit_week"),
            # "my firms ordered by last visit" and coverage: the last submitted
            # visit per firm, and "visited since" per firm, from the index alone
            models.Index(fields=["enterprise", "-visited_at"], name="visit_ent_submitted",
                         condition=Q(status="submitted")),
            # the visit list (newest first) and every "visited since" range
            models.Index(fields=["-visited_at", "-id"], name="visit_time"),
            # coverage's visits by street and industry: submitted visits since a
            # day, their firm, lead and id (a staff member's scope) from the
            # index alone (PostgreSQL)
            models.Index(fields=["visited_at"], include=["enterprise", "lead_visitor", "id"],
                         condition=Q(status="submitted"), name="visit_submitted_time"),
            # "my visits"
            models.Index(fields=["lead_visitor", "-visited_at"], name="visit_lead_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(latitude__isnull=True) & Q(longitude__isnull=True))
                | (Q(latitude__gte=-90) & Q(latitude__lte=90)
                   & Q(longitude__gte=-180) & Q(longitude__lte=180)),
                name="visit_location_valid",
                violation_error_message=_("The location is not a valid position."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.visited_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("visits:visit-detail", args=[self.pk])

    @property
    def is_submitted(self) -> bool:
        return self.status == VisitStatus.SUBMITTED


class VisitAttachment(models.Model):
    """A photo or sign-in sheet of a visit, private, served by a checked view."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="attachments"
    )
    token = models.CharField(_("storage key"), max_length=40, unique=True)
    file = models.FileField(_("file"), upload_to="visits/%Y/%m/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("visit attachment")
        verbose_name_plural = _("visit attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("visits:attachment-download", args=[self.pk])


class VisitChange(models.Model):
    """A correction of a locked visit by a coordinator: who, when, what changed."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("visit correction")
        verbose_name_plural = _("visit corrections")

    def __str__(self) -> str:
        return f"{self.visit_id} {self.changed_at:%Y-%m-%d}"


class QuotaCredit(models.Model):
    """A submitted visit credits each participant (lead and companions) with
    one firm in one ISO week. Written by ``visits.services`` on submit and on a
    correction, so quotas and weekly reports are one GROUP BY over a small
    index range instead of OR-joins over visits and companions."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="credits"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.CASCADE,
        related_name="quota_credits",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE,
        related_name="+",
    )
    week_start = models.DateField(_("week (Monday)"))

    class Meta:
        ordering = ["week_start", "user"]
        verbose_name = _("quota credit")
        verbose_name_plural = _("quota credits")
        indexes = [
            # "my week" and the weekly report: credits of a week, per person
            models.Index(fields=["week_start", "user", "enterprise"], name="credit_week_user"),
            # "my firms by last visit" for one person
            models.Index(fields=["user", "enterprise"], name="credit_user_ent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "user"], name="credit_once_per_visit",
                violation_error_message=_("This person is already credited for the visit."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.week_start} {self.enterprise_id}"


class FirmLastVisit(models.Model):
    """When each firm that has a submitted visit was last visited. Written by
    ``visits.services`` on submit and on a correction (``refresh_last_visits``),
    so coverage ("not visited since ...", ordered by the last visit) is a join
    of one row per firm instead of a search through every firm's visits."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE,
        primary_key=True, related_name="last_visit",
    )
    visited_at = models.DateTimeField(_("last visited at"), db_index=True)

    class Meta:
        verbose_name = _("last visit of a firm")
        verbose_name_plural = _("last visits of firms")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visited_at:%Y-%m-%d}"
