"""Reads for the firm portal: what a firm member may see of its own obstacles.

Everything starts from the enterprises the user holds the guardian grant on
(``enterprises.permissions.portal_scope``), filtered in SQL; a row of another
enterprise is simply not in the queryset, so a lookup by id answers 404. The
firm sees the lead task's state in plain words, the department, the deadline
and the owner's office phone, and only the events marked visible to it.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise, FirmMembership, Invitation
from enterprises.permissions import portal_scope

from .choices import TaskRole, TaskState
from .models import Attachment, Task, TaskEvent

SESSION_KEY = "portal_enterprise_id"

# The closed loop in words a firm understands.
PLAIN_STATUS = {
    TaskState.SUBMITTED: _("Received: the office is choosing the department"),
    TaskState.ASSIGNED: _("Passed to the responsible department"),
    TaskState.IN_PROGRESS: _("Being handled"),
    TaskState.RESOLVED: _("Resolved: please tell us if you are satisfied"),
    TaskState.CLOSING: _("Rated: being closed"),
    TaskState.CLOSED: _("Closed"),
    TaskState.REJECTED: _("Not taken up (see the explanation)"),
}


def portal_enterprises(user, perm: str = "view_portal") -> QuerySet[Enterprise]:
    return portal_scope(user, Enterprise.objects.all(), perm).order_by("name", "pk")


def current_enterprise(request) -> Enterprise | None:
    """The enterprise the user works for now: the one chosen in the session if
    the grant still holds, else the first. One query."""
    qs = portal_enterprises(request.user)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        enterprise = qs.filter(pk=chosen).first()
        if enterprise is not None:
            return enterprise
    return qs.first()


def _visible_attachments() -> Q:
    # files the firm sent, and those of events it may read (the resolution)
    return Q(event__isnull=True) | Q(event__is_visible_to_firm=True)


def portal_tasks(enterprise: Enterprise) -> QuerySet[Task]:
    """The enterprise's obstacles as their lead tasks, newest first, with what a
    row shows in one query (owner's office phone through the profile)."""
    return (
        Task.objects.filter(role=TaskRole.LEAD, obstacle__enterprise=enterprise)
        .select_related("obstacle", "obstacle__category", "department", "owner__profile")
        .order_by("-obstacle__received_at", "-pk")
    )


def portal_task(enterprise: Enterprise, obstacle_pk: int) -> Task:
    """One obstacle of the enterprise (``Task.DoesNotExist`` otherwise), with its
    firm-visible timeline and files prefetched."""
    visible_events = (TaskEvent.objects.filter(is_visible_to_firm=True)
                      .select_related("department")
                      .prefetch_related(Prefetch("attachments", to_attr="files")))
    return (
        portal_tasks(enterprise)
        .prefetch_related(
            Prefetch("events", queryset=visible_events, to_attr="firm_events"),
            Prefetch("obstacle__attachments",
                     queryset=Attachment.objects.filter(event__isnull=True),
                     to_attr="firm_files"),
        )
        .get(obstacle_id=obstacle_pk)
    )


def portal_attachments(user) -> QuerySet[Attachment]:
    """Files a firm member may download: of its enterprises' obstacles, sent
    with the obstacle or with an event visible to the firm."""
    return Attachment.objects.filter(
        _visible_attachments(), obstacle__enterprise__in=portal_enterprises(user))


def portal_members(enterprise: Enterprise) -> QuerySet[FirmMembership]:
    return (FirmMembership.objects.filter(enterprise=enterprise)
            .select_related("user", "user__profile").order_by("-is_admin", "user__username"))


def portal_open_invitations(enterprise: Enterprise) -> QuerySet[Invitation]:
    return Invitation.objects.filter(enterprise=enterprise, accepted_at__isnull=True,
                                     revoked_at__isnull=True)
