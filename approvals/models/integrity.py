"""Integrity records of the closed loop: the colour history and rating appeals."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import AppealStatus, Colour


class ColourSpan(models.Model):
    """One stretch of time a task spent in one colour of the three-colour ledger.

    Written set-wise by ``approvals.colours`` when task events commit (and by the
    daily sweep, which also catches a deadline passing at midnight). The open
    span (``ended_at`` empty) is the task's colour now; a closed span keeps the
    working days it lasted, so "days red" is a sum, not a calendar walk.
    ``department`` is the department the task was with: red time counts against it.
    """

    task = models.ForeignKey(
        "approvals.Task", verbose_name=_("task"), on_delete=models.CASCADE,
        related_name="colour_spans",
    )
    colour = models.CharField(_("colour"), max_length=8, choices=Colour.choices)
    department = models.ForeignKey(
        "approvals.Department", verbose_name=_("responsible department then"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    working_days = models.PositiveIntegerField(
        _("working days"), null=True, blank=True,
        help_text=_("Filled when the span ends: working days after its first day "
                    "up to and including its last."),
    )

    class Meta:
        ordering = ["task", "started_at", "pk"]
        verbose_name = _("colour span")
        verbose_name_plural = _("colour history")
        indexes = [
            # the sweep and the KPIs: current colour of each task, and red spans
            models.Index(fields=["colour", "task"], name="colourspan_colour_task",
                         condition=Q(ended_at__isnull=True)),
            # the KPIs: red spans that began in a period (a few among millions)
            models.Index(fields=["started_at"], name="colourspan_red_started",
                         condition=Q(colour="red")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(ended_at__isnull=True),
                name="colourspan_one_open_per_task",
                violation_error_message=_("A task has one current colour."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.colour} {self.started_at:%Y-%m-%d}"


class RatingAppeal(models.Model):
    """申诉复核: a department appeals a rating it believes mistaken or malicious.

    The evidence is an ``Attachment`` on the appeal's (internal) task event, so it
    is private and downloaded through the permission-checked view. An upheld
    appeal takes the rating out of the satisfaction rate (``Task.is_rating_excluded``)
    but the callback and its rating stay in the record.
    """

    Status = AppealStatus

    task = models.ForeignKey(
        "approvals.Task", verbose_name=_("task"), on_delete=models.CASCADE,
        related_name="rating_appeals",
    )
    callback = models.ForeignKey(
        "approvals.Callback", verbose_name=_("callback appealed"), on_delete=models.PROTECT,
        related_name="appeals",
    )
    rating = models.PositiveSmallIntegerField(_("rating appealed"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("appealed by"), on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("appealed at"), auto_now_add=True)
    reason = models.TextField(_("grounds"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision reason"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("rating appeal")
        verbose_name_plural = _("rating appeals")
        indexes = [
            # the coordinator's list of appeals waiting, oldest first
            models.Index(fields=["status", "requested_at"], name="appeal_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["callback"], name="appeal_one_per_callback",
                violation_error_message=_("This rating has already been appealed."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.get_status_display()}"
