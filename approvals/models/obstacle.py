"""Intake: categories, obstacles (诉求/堵点) and their attachments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.fields import EncryptedCharField

from ..choices import Channel, Urgency


class ObstacleCategory(models.Model):
    """A two-level tree of obstacle kinds, each with a default department and
    time limits in working days (normal and urgent)."""

    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="children",
        limit_choices_to={"parent__isnull": True},
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    default_department = models.ForeignKey(
        "approvals.Department", verbose_name=_("default department"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    limit_normal_days = models.PositiveSmallIntegerField(
        _("time limit (working days)"), default=10
    )
    limit_urgent_days = models.PositiveSmallIntegerField(
        _("time limit when urgent (working days)"), default=3
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("obstacle category")
        verbose_name_plural = _("obstacle categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(limit_normal_days__gte=1) & Q(limit_urgent_days__gte=1),
                name="category_limits_positive",
                violation_error_message=_("Time limits are at least one working day."),
            ),
            models.CheckConstraint(
                condition=Q(limit_urgent_days__lte=models.F("limit_normal_days")),
                name="category_urgent_not_longer",
                violation_error_message=_(
                    "The urgent time limit cannot be longer than the normal one."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def limit_for(self, urgency: str) -> int:
        return self.limit_urgent_days if urgency == Urgency.URGENT else self.limit_normal_days


class Obstacle(models.Model):
    """诉求/堵点: what blocks a firm, as it reported it. Its lead task carries the
    workflow state; the obstacle itself is never edited by a transition."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT,
        related_name="obstacles",
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"))
    category = models.ForeignKey(
        ObstacleCategory, verbose_name=_("category"), on_delete=models.PROTECT,
        related_name="obstacles",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    urgency = models.CharField(
        _("urgency"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    project_name = models.CharField(_("project"), max_length=120, blank=True)
    project_investment = models.DecimalField(
        _("project investment (10,000 yuan)"), max_digits=14, decimal_places=2,
        null=True, blank=True,
    )
    contact_name = models.CharField(_("contact for follow-up"), max_length=64, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=32, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("first-contact person (首问负责人)"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="obstacles_received",
    )
    external_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    visit = models.ForeignKey(
        "visits.Visit", verbose_name=_("raised during visit"), on_delete=models.SET_NULL,
        null=True, blank=True, related_name="obstacles",
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="merged",
        help_text=_("A duplicate keeps its history and points to the obstacle that "
                    "carries on."),
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("obstacle")
        verbose_name_plural = _("obstacles")
        indexes = [
            # the enterprise page's obstacle list and the firm portal
            models.Index(fields=["enterprise", "-received_at"], name="obstacle_ent_recv"),
            # KPIs: obstacles received in a period
            models.Index(fields=["received_at"], name="obstacle_received"),
            # staff visibility: what I recorded
            models.Index(fields=["received_by"], name="obstacle_received_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_ref"],
                condition=~Q(external_ref=""),
                name="obstacle_external_ref_unique",
                violation_error_message=_(
                    "This channel has already sent an obstacle with this reference."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("approvals:obstacle-detail", args=[self.pk])


def private_storage():
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # never the user's file name on disk: it goes in ``original_name``
    return f"attachments/{timezone.now():%Y/%m}/{instance.token}"


class Attachment(models.Model):
    """A file attached to an obstacle (or to a resolution event). Served only
    through a permission-checked view, never from a public media URL."""

    obstacle = models.ForeignKey(
        Obstacle, verbose_name=_("obstacle"), on_delete=models.CASCADE,
        related_name="attachments",
    )
    event = models.ForeignKey(
        "approvals.TaskEvent", verbose_name=_("event"), on_delete=models.CASCADE,
        null=True, blank=True, related_name="attachments",
    )
    token = models.CharField(_("storage key"), max_length=40, unique=True)
    file = models.FileField(
        _("file"), upload_to=attachment_path, storage=private_storage
    )
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        null=True, related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("approvals:attachment-download", args=[self.pk])
