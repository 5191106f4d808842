"""Who may see and write visits.

Staff see their team's visits (and those they led or joined); coordinators and
leaders see all; department users and firm users none (visit notes are
internal). A visitor edits a visit for ``DESK["VISIT_EDIT_DAYS"]`` days after
creating it; after that only a coordinator corrects it, and the correction is
recorded.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils import timezone

from approvals.choices import Role
from approvals.models import Profile
from approvals.permissions import roles


def _team_id(user) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.team_id if profile else None


def scope_visits(user, qs: QuerySet) -> QuerySet:
    r = roles(user)
    if r & {Role.COORDINATOR, Role.LEADER}:
        return qs
    if Role.SERVICE_STAFF in r:
        # No join to companions or profiles (it repeats rows and hides the
        # visit time index from the planner): each arm is a hashed subquery
        # or an equality, so "newest first" walks the time index and stops.
        joined = qs.model.companions.through.objects.filter(user=user).values("visit_id")
        q = Q(lead_visitor=user) | Q(pk__in=joined)
        team = _team_id(user)
        if team:
            q |= Q(lead_visitor__in=Profile.objects.filter(team_id=team).values("user_id"))
        return qs.filter(q)
    return qs.none()


def count_visible(user) -> int:
    """``scope_visits(user, Visit.objects.all()).count()`` without the OR that
    makes PostgreSQL read every visit: for staff, the visits led by the team
    (or by the user) plus those the user joined that someone else led, each
    counted from an index. Up to three queries."""
    from .models import Visit

    r = roles(user)
    if r & {Role.COORDINATOR, Role.LEADER}:
        return Visit.objects.count()
    if Role.SERVICE_STAFF not in r:
        return 0
    leads = {user.pk}
    team = _team_id(user)
    if team:
        leads.update(Profile.objects.filter(team_id=team).order_by()
                     .values_list("user_id", flat=True))
    leads = sorted(leads)
    led = Visit.objects.filter(lead_visitor__in=leads).count()
    joined = (Visit.companions.through.objects.filter(user=user)
              .exclude(visit__lead_visitor__in=leads).count())
    return led + joined


def is_locked(visit, now=None) -> bool:
    """Past the visitor's edit window."""
    now = now or timezone.now()
    return now > visit.created_at + timedelta(days=settings.DESK["VISIT_EDIT_DAYS"])


def can_visit(user, action: str, visit=None) -> bool:
    """``create``, ``edit`` (the lead visitor within the window, or a
    coordinator at any time), ``report_office`` (the whole office's report),
    ``report_team``, ``coverage``."""
    r = roles(user)
    if action == "create":
        return Role.SERVICE_STAFF in r or Role.COORDINATOR in r
    if action == "edit":
        if Role.COORDINATOR in r:
            return True
        return visit is not None and visit.lead_visitor_id == user.pk and not is_locked(visit)
    if action in ("report_office", "coverage_office"):
        return bool(r & {Role.COORDINATOR, Role.LEADER})
    if action in ("report_team", "coverage"):
        return bool(r & {Role.COORDINATOR, Role.LEADER, Role.SERVICE_STAFF})
    raise ValueError(f"unknown visit action {action!r}")


def require_visit(user, action: str, visit=None) -> None:
    if not can_visit(user, action, visit):
        raise PermissionDenied


def is_correction(user, visit) -> bool:
    """A coordinator changing a visit that is locked or not their own."""
    return visit.pk is not None and (
        visit.lead_visitor_id != user.pk or is_locked(visit)
    ) and Role.COORDINATOR in roles(user)
