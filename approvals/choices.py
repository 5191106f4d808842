"""Choices of the closed loop: roles, channels, states, ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """The desk's roles; each is a ``Group`` of that name (data migration 0002)."""

    SERVICE_STAFF = "service_staff", _("Service staff")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    COORDINATOR = "coordinator", _("Coordinator")
    LEADER = "leader", _("Leader")
    FIRM_USER = "firm_user", _("Firm user")
    EDITOR = "editor", _("CMS editor")
    MODERATOR = "moderator", _("CMS moderator")


class DepartmentKind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    UTILITY = "utility", _("Public utility")
    STREET = "street", _("Street office")
    OFFICE = "office", _("Business-environment office")


class Channel(models.TextChoices):
    VISIT = "visit", _("Visit (走访)")
    PORTAL = "portal", _("Firm portal")
    HOTLINE = "hotline", _("12345 hotline")
    WINDOW = "window", _("'Can't get it done' window")
    OTHER = "other", _("Letter / other")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class TaskRole(models.TextChoices):
    LEAD = "lead", _("Lead")
    CO = "co", _("Co-handling")


class TaskState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSING = "closing", _("Awaiting close-out")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


# States in which a deadline runs and escalation applies.
OPEN_STATES = (TaskState.ASSIGNED, TaskState.IN_PROGRESS)
DONE_STATES = (TaskState.RESOLVED, TaskState.CLOSING, TaskState.CLOSED)


class Colour(models.TextChoices):
    """The three-colour ledger (三色台账)."""

    YELLOW = "yellow", pgettext_lazy("ledger colour", "Yellow: new or on time")
    RED = "red", pgettext_lazy("ledger colour", "Red: under supervision")
    GREEN = "green", pgettext_lazy("ledger colour", "Green: resolved")
    GREY = "grey", pgettext_lazy("ledger colour", "Grey: rejected")


class Rating(models.IntegerChoices):
    """好差评, five levels; 4 and 5 count as satisfied, 1 and 2 reopen the task."""

    VERY_SATISFIED = 5, _("Very satisfied (非常满意)")
    SATISFIED = 4, _("Satisfied (满意)")
    BASICALLY_SATISFIED = 3, _("Basically satisfied (基本满意)")
    DISSATISFIED = 2, _("Dissatisfied (不满意)")
    VERY_DISSATISFIED = 1, _("Very dissatisfied (非常不满意)")


class EventAction(models.TextChoices):
    SUBMIT = "submit", _("Received")
    ASSIGN = "assign", _("Assigned to department")
    SET_OWNER = "set_owner", _("Owner named")
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned as not ours")
    RULING = "ruling", _("Ownership ruled")
    REJECT = "reject", _("Rejected")
    NOTE = "note", _("Progress note")
    EXTENSION_REQUEST = "extension_request", _("Extension requested")
    EXTENSION_DECISION = "extension_decision", _("Extension decided")
    ESCALATE = "escalate", _("Escalated (督办)")
    CO_REPORT = "co_report", _("Co-handler reported")
    RESOLVE = "resolve", _("Resolved")
    CALLBACK = "callback", _("Callback")
    REOPEN = "reopen", _("Reopened for rectification")
    CLOSE_REQUEST = "close_request", _("Close-out requested")
    CLOSE = "close", _("Closed out (销号)")
    CLOSE_REFUSED = "close_refused", _("Close-out refused")
    APPEAL = "appeal", _("Rating appealed")
    APPEAL_DECISION = "appeal_decision", _("Rating appeal decided")
    MERGE = "merge", _("Merged into another obstacle")
    SAMPLE_REOPEN = "sample_reopen", _("Reopened after a close-out sample check")


class ApprovalKind(models.TextChoices):
    EXTENSION = "extension", _("Extension")
    RULING = "ruling", _("Ownership ruling")
    CLOSE_OUT = "close_out", _("Close-out sign-off")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class RejectReason(models.TextChoices):
    DUPLICATE = "duplicate", _("Duplicate of another obstacle")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")


class AppealStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld: rating excluded")
    DISMISSED = "dismissed", _("Dismissed")
