"""Fragments the closed loop's pages include: the task's integrity box and the
enterprise's open obstacles beside the obstacle form (duplicates)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from approvals import colours
from approvals import permissions as task_permissions
from approvals.choices import OPEN_STATES, Rating

from .. import selectors
from ..permissions import can_coordinate, can_see_chase_notices

register = template.Library()


@register.inclusion_tag("insight/includes/_task_integrity.html", takes_context=True)
def task_integrity(context, task):
    """Working days red, silence, appeals and duplicates of one task: a fixed
    handful of queries, whatever the task's history."""
    user = context["request"].user
    today = timezone.localdate()
    events = list(task.events.all())  # prefetched by the task page
    silent = None
    if task.state in OPEN_STATES and events:
        silent = selectors.silent_days(events[-1].created_at, today)
    obstacle = task.obstacle
    duplicates = []
    if task.is_lead and obstacle.merged_into_id is None and task.state not in (
            "closed", "rejected", "resolved", "closing"):
        duplicates = list(selectors.open_obstacles(obstacle.enterprise,
                                                   category=obstacle.category_id,
                                                   exclude=obstacle.pk)[:10])
    can_appeal = (task_permissions.can(user, "appeal", task) and task.rating is not None
                  and task.rating < Rating.SATISFIED and not task.is_rating_excluded)
    # the task's chase notices (催办通知书), for those who may download them
    chase_notices = (list(selectors.chase_notices_visible_to(user).filter(task=task))
                     if can_see_chase_notices(user) else [])
    return {
        "task": task, "obstacle": obstacle, "chase_notices": chase_notices,
        "red_days": colours.red_working_days(task, today=today),
        "silent_days": silent,
        "appeals": list(task.rating_appeals.select_related("decided_by")),
        "can_appeal": can_appeal, "duplicates": duplicates,
        "can_merge": can_coordinate(user) and task.is_lead,
    }


@register.inclusion_tag("insight/includes/_open_obstacles.html")
def open_obstacles_of(enterprise, category=None):
    """Open obstacles of the enterprise shown beside the obstacle form, so staff
    see a duplicate before recording it (same category first)."""
    rows = list(selectors.open_obstacles(enterprise)[:20])
    if category:
        rows.sort(key=lambda o: (str(o.category_id) != str(category), -o.pk))
    return {"rows": rows, "category": str(category or "")}
