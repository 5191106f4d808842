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
from approvals.permissions import roles


def _team_id(user) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.team_id if profile else None


def scope_visits(user, qs: QuerySet) -> QuerySet:
    r = roles(user)
    if r & {Role.COORDINATOR, Role.LEADER}:
        return qs
    if Role.SERVICE_STAFF in r:
        q = Q(lead_visitor=user) | Q(companions=user)
        team = _team_id(user)
        if team:
            q |= Q(lead_visitor__profile__team_id=team)
        # the companion join can repeat a row: keep one per visit
        return qs.filter(pk__in=qs.model.objects.filter(q).values("pk"))
    return qs.none()


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
