"""Kinds of notice, delivery states and channels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a notice is about; each kind has a body template
    ``notifications/messages/<kind>.txt`` and a subject in ``messages.SUBJECTS``."""

    TASK_ASSIGNED = "task_assigned", _("Task assigned to the department")
    OWNER_SET = "owner_set", _("You were named owner")
    TASK_ESCALATED = "task_escalated", _("Task escalated (督办)")
    TASK_RETURNED = "task_returned", _("Task returned by a department")
    TASK_RESOLVED = "task_resolved", _("Task resolved")
    TASK_REOPENED = "task_reopened", _("Task reopened for rectification")
    OBSTACLE_UPDATE = "obstacle_update", _("News on your enterprise's obstacle")
    DEADLINE_REMINDER = "deadline_reminder", _("Deadline reminder")
    CALLBACK_DUE = "callback_due", _("Callback due")
    LICENCE_EXPIRY = "licence_expiry", _("Licence expiring")
    WEEKLY_REPORT = "weekly_report", _("Weekly visit report")
    BELOW_QUOTA = "below_quota", _("Visits below the weekly quota")
    BULLETIN = "bulletin", _("Supervision bulletin")
    CALENDAR_MISSING = "calendar_missing", _("Holiday calendar missing for next year")
    CHASE_NOTICE = "chase_notice", _("Chase notice (催办通知书)")
    SILENT_TASK = "silent_task", _("No progress on a task (silent)")


class SendState(models.TextChoices):
    """A channel's progress for one delivery: ``pending`` rows are what the
    senders and the sweeper look for; ``skipped`` means the preference is off or
    the user has no address for that channel."""

    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (preference or no address)")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
