"""Approval requests: extensions, ownership rulings and close-out sign-offs."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..choices import ApprovalKind, ApprovalStatus


class ApprovalRequest(models.Model):
    """Something a coordinator must decide, with who asked, why, who decided,
    what and when."""

    Kind = ApprovalKind
    Status = ApprovalStatus

    kind = models.CharField(_("kind"), max_length=16, choices=ApprovalKind.choices)
    task = models.ForeignKey(
        "approvals.Task", verbose_name=_("task"), on_delete=models.CASCADE,
        related_name="approvals",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ApprovalStatus.choices,
        default=ApprovalStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    requested_deadline_on = models.DateField(_("requested deadline"), null=True, blank=True)
    previous_deadline_on = models.DateField(_("deadline then"), null=True, blank=True)
    ruled_department = models.ForeignKey(
        "approvals.Department", verbose_name=_("ruled department"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision reason"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        indexes = [
            # the coordinator's inbox: pending requests, oldest first
            models.Index(fields=["status", "requested_at"], name="approval_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind"], condition=Q(status=ApprovalStatus.PENDING),
                name="approval_one_pending_per_kind",
                violation_error_message=_("A request of this kind is already pending."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.task_id} {self.get_status_display()}"
