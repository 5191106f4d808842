"""Reads of the API: obstacles as their lead tasks, scoped in SQL to the client.

The firm-visible timeline and the plain-words status are the portal's
(``approvals.selectors_portal``): an integration, a firm and the Open311
clients all read the same story, and internal notes never leave the desk.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from approvals.choices import TaskRole
from approvals.models import Obstacle, ObstacleCategory, Task, TaskEvent
from approvals.permissions import scope_obstacles
from approvals.selectors_portal import PLAIN_STATUS, portal_enterprises

from . import permissions

__all__ = ["PLAIN_STATUS", "categories_active", "obstacle_tasks_for", "with_timeline"]


# the largest key a database column holds (bigint): a longer number in a URL is
# a missing obstacle, not an overflow in the database driver (a 500)
MAX_ID = 2**63 - 1


def lead_task_or_404(qs: QuerySet[Task], obstacle_id: int) -> Task:
    """The lead task of obstacle ``obstacle_id`` in ``qs``, or Http404."""
    if not 0 < obstacle_id <= MAX_ID:
        raise Http404
    return get_object_or_404(qs, obstacle_id=obstacle_id)


def obstacle_tasks_for(request) -> QuerySet[Task]:
    """Lead tasks of the obstacles the client may read, newest first, with
    what a row shows in one query."""
    qs = (
        Task.objects.filter(role=TaskRole.LEAD)
        .select_related("obstacle", "obstacle__category", "obstacle__enterprise",
                        "department")
        .order_by("-obstacle__received_at", "-pk")
    )
    integration = permissions.client_integration(request)
    if integration is not None:
        return qs.filter(obstacle__integration_link__integration=integration)
    if permissions.is_desk_staff(request):
        return qs.filter(obstacle__in=scope_obstacles(request.user, Obstacle.objects.all()))
    if permissions.is_firm_user(request):
        return qs.filter(obstacle__enterprise__in=portal_enterprises(request.user))
    return qs.none()


def with_timeline(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Prefetch the events the firm may see (``firm_events``), oldest first."""
    visible = TaskEvent.objects.filter(is_visible_to_firm=True).order_by("created_at", "pk")
    return qs.prefetch_related(Prefetch("events", queryset=visible, to_attr="firm_events"))


def categories_active() -> QuerySet[ObstacleCategory]:
    """Categories an obstacle can be filed under (children and parents alike)."""
    return (ObstacleCategory.objects.filter(is_active=True)
            .select_related("parent", "default_department"))
